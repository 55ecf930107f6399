// serve: requests/s of POST /tweets (201 after the JetStream ack) and GET /tweets?limit=50
// (the timeline) over 32 keep-alive connections, beside baselines/serve-baseline.mjs, a
// bare node:http + nats.js server doing the same (target ≥ 0.9×). The load comes from a
// separate process: wrk where installed (apt-get install wrk), else load.mjs; serve and
// the baseline take turns, BENCH_SERVE_ROUNDS rounds (default 3) of BENCH_SERVE_SECONDS
// (default 5) per figure, and each figure is the median of its rounds. Each server's CPU
// time per request (from /proc) is shown too: on a shared machine it is steadier than req/s.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./measure.mjs";

export const name = "serve";

const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));
const BASELINE = fileURLToPath(new URL("./baselines/serve-baseline.mjs", import.meta.url));
const LOAD = fileURLToPath(new URL("./load.mjs", import.meta.url));
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 5);
const CONCURRENCY = 32;
const BODY = JSON.stringify({ message: "bench tweet", author: "bench" });

const wrk = (process.env.PATH ?? "")
  .split(delimiter)
  .map((d) => join(d, "wrk"))
  .find((p) => existsSync(p));

/**
 * Runs a process to its end; resolves with its stdout.
 * @param {string} cmd
 * @param {string[]} args
 */
function output(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}

/**
 * CPU seconds (user + system) a live process has used so far, from /proc (Linux), or NaN.
 * @param {number | undefined} pid
 */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return NaN;
  }
}

/**
 * Waits (up to 15 s) until a process is idle: after a POST figure serve's follower is
 * still reading the events back, work that belongs to the POSTs, not to the next figure.
 * @param {number | undefined} pid
 */
async function settled(pid) {
  const deadline = Date.now() + 15_000;
  for (let last = cpuSeconds(pid); Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = cpuSeconds(pid);
    if (!(now - last > 0.01)) return; // under 4 % of a core (or unknown)
    last = now;
  }
}

/**
 * Starts a server process that prints one JSON line with its url on stdout.
 * @param {string[]} argv
 * @param {Record<string, string>} env
 */
async function startHttp(argv, env) {
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv[0]} did not start`)), 20_000);
    child.stdout?.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(JSON.parse(out.split("\n")[0] ?? "{}").url);
      }
    });
    child.once("exit", (code) => reject(new Error(`${argv[0]} exited ${code}`)));
  });
  return {
    url: /** @type {string} */ (url),
    pid: child.pid,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * Load from another process for `seconds`: requests/s, latency p50/p99 (ms), and how
 * many answers were not the expected status (or failed).
 * @param {string} url
 * @param {"GET" | "POST"} method
 * @param {number} seconds
 * @param {string} dir where wrk's request script goes
 * @returns {Promise<{ rps: number, p50: number, p99: number, errors: number }>}
 */
async function load(url, method, seconds, dir) {
  if (!wrk) {
    const args = [LOAD, url, method, String(seconds), String(CONCURRENCY)];
    const out = await output(process.execPath, method === "POST" ? [...args, BODY] : args);
    return JSON.parse(/** @type {string} */ (out));
  }
  const script = join(dir, `${method}.lua`);
  writeFileSync(
    script,
    method === "POST"
      ? `wrk.method = "POST"\nwrk.body = ${JSON.stringify(BODY)}\nwrk.headers["Content-Type"] = "application/json"\n`
      : "",
  );
  const out = /** @type {string} */ (
    await output(wrk, ["-t1", `-c${CONCURRENCY}`, `-d${seconds}s`, "--latency", "-s", script, url])
  );
  const num = (/** @type {RegExp} */ re) => Number(re.exec(out)?.[1] ?? 0);
  const ms = (/** @type {string} */ p) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(out);
    if (!m) return NaN;
    const unit = { us: 0.001, ms: 1, s: 1000 }[/** @type {"us" | "ms" | "s"} */ (m[2])];
    return Number((Number(m[1]) * unit).toFixed(1));
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    out,
  );
  return {
    rps: Math.round(num(/Requests\/sec:\s+([\d.]+)/)),
    p50: ms("50"),
    p99: ms("99"),
    errors:
      num(/Non-2xx or 3xx responses: (\d+)/) +
      (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

/** @param {{ url: string, cli: Function, report: Function }} ctx */
export async function run({ url, cli, report }) {
  const env = { NATS_URL: url };
  for (const stream of ["BENCH_SERVE", "BENCH_BASE"]) {
    const r = await cli(["stream", "add", stream], { env });
    if (r.code !== 0) throw new Error(`stream add ${stream}: ${r.stderr}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-serve-"));
  const serve = await startHttp(
    [BIN, "serve", "--port", "0", "--json", "--stream", "BENCH_SERVE"],
    env,
  );
  const base = await startHttp([BASELINE, url, "BENCH_BASE"], env);
  /** @type {Record<string, Array<{ rps: number, p50: number, p99: number, errors: number, cpuUs: number }>>} */
  const figures = {};
  /**
   * The load's figures, plus the server's CPU per request (µs): a cost that other load on
   * the machine barely changes, unlike requests/s.
   * @param {{ url: string, pid: number | undefined }} s
   * @param {string} path
   * @param {"GET" | "POST"} method
   */
  const measured = async (s, path, method) => {
    await settled(s.pid);
    const before = cpuSeconds(s.pid);
    const r = await load(s.url + path, method, SECONDS, dir);
    const cpuUs = ((cpuSeconds(s.pid) - before) * 1e6) / (r.rps * SECONDS);
    return { ...r, cpuUs };
  };
  try {
    for (const s of [serve, base]) await load(`${s.url}/tweets`, "POST", 2, dir); // warm-up
    for (let round = 0; round < ROUNDS; round++)
      for (const [method, path] of /** @type {const} */ ([
        ["POST", "/tweets"],
        ["GET", "/tweets?limit=50"],
      ]))
        for (const [label, s] of /** @type {const} */ ([
          ["serve", serve],
          ["base", base],
        ]))
          (figures[`${label} ${method}`] ??= []).push(await measured(s, path, method));
  } finally {
    await serve.stop();
    await base.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const fig = (/** @type {string} */ key) => {
    const runs = figures[key] ?? [];
    return {
      rps: median(runs.map((r) => r.rps)),
      p50: Number(median(runs.map((r) => r.p50)).toFixed(1)),
      p99: Number(median(runs.map((r) => r.p99)).toFixed(1)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
      cpuUs: median(runs.map((r) => r.cpuUs)),
    };
  };
  const rows = ["POST", "GET"].map((method) => {
    const mine = fig(`serve ${method}`);
    const theirs = fig(`base ${method}`);
    const path = method === "POST" ? "POST /tweets" : "GET /tweets?limit=50";
    return {
      request: path,
      "serve req/s": Math.round(mine.rps),
      "serve p50/p99 ms": `${mine.p50}/${mine.p99}`,
      "baseline req/s": Math.round(theirs.rps),
      "baseline p50/p99 ms": `${theirs.p50}/${theirs.p99}`,
      ratio: (mine.rps / theirs.rps).toFixed(2),
      target: "≥ 0.9",
      "CPU µs/req serve, baseline": `${Math.round(mine.cpuUs)}, ${Math.round(theirs.cpuUs)}`,
      errors: mine.errors + theirs.errors,
    };
  });
  report(
    rows,
    `load from ${wrk ? "wrk" : "load.mjs"} (own process), ${CONCURRENCY} keep-alive connections, medians of ${ROUNDS} × ${SECONDS} s`,
  );
}
