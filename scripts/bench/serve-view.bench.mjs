// serve start-up against a long stream: time from spawn to the port answering (/healthz),
// to the newest page (GET /tweets?limit=50 answered 200: from the stream's tail during a
// first build), to the "listening" line (the view up to date: /readyz 200), and peak RSS
// (VmHWM when it listens), at 100 000 and 1 000 000 events (80 % tweets, 20 % likes),
// beside `view --json > /dev/null` over the same stream in the same run.
// First start: serve builds its view (the KV bucket tweetstream_view_<STREAM>) from the
// whole stream. Restart: it resumes from the view. Both check the counts it prints.
// BENCH_SERVE_SIZES=100000,1000000 changes the sizes. BENCH_VIEW_ROUNDS=N repeats the
// first start N times (the view's bucket removed before each), each round beside its own
// `view --json`, so a load drift on a shared machine hits both alike; BENCH_VIEW_COMPARE=
// another build's bin/tweetstream.js (a copy of bin/ and dist/ made before a change) adds
// its first start to every round, in alternating order. The CPU columns (serve's until it
// listens, view's, and nats-server's during each) are what other load stretches least.
// "fallbacks": the build's bulk batches written again acked (/metrics), 0 on a quiet bucket.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { connect } from "nats";

export const name = "serve-view";

const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));
const ROUNDS = Math.max(1, Number(process.env.BENCH_VIEW_ROUNDS ?? 1) || 1);
const COMPARE = process.env.BENCH_VIEW_COMPARE;
const SIZES = (process.env.BENCH_SERVE_SIZES ?? "100000,1000000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);

/**
 * Fills `stream` with `n` events fast: core publishes (no per-message ack) in flushed
 * chunks, then waits until the stream holds them all.
 * @param {string} url
 * @param {string} stream
 * @param {number} n
 */
async function fill(url, stream, n) {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  const date = "2026-01-01T00:00:00.000Z";
  let tweets = 0;
  for (let i = 0; i < n; i++) {
    if (i % 5 === 4) {
      // a like of an earlier tweet, spread over the whole stream
      const id = `t${(i * 7919) % tweets}`;
      const like = { messageType: "tweet_liked", id, message: "", date, author: "fan" };
      nc.publish(`${stream}.tweet_liked`, JSON.stringify(like));
    } else {
      const tweet = {
        messageType: "tweet_created",
        id: `t${tweets++}`,
        message: `message ${i}`,
        date,
        author: "bench",
      };
      nc.publish(`${stream}.tweet_created`, JSON.stringify(tweet));
    }
    if (i % 1000 === 999) await nc.flush();
  }
  await nc.flush();
  // core publishes the server dropped (its ingest full) never arrive: say so, never wait forever
  let seen = -1;
  let since = performance.now();
  for (;;) {
    const { state } = await jsm.streams.info(stream);
    if (state.messages >= n) break;
    if (state.messages !== seen) [seen, since] = [state.messages, performance.now()];
    if (performance.now() - since > 10_000) {
      throw new Error(
        `${stream}: the server stored ${seen} of ${n} events (publishes dropped); run again`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await nc.close();
  return { tweets, likes: n - tweets };
}

/** A port free on 127.0.0.1 now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` every 20 ms until it answers `status`; ms since `since` (NaN if `done` first).
 * @param {string} url
 * @param {number} status
 * @param {number} since
 * @param {() => boolean} done
 */
async function answered(url, status, since, done) {
  while (!done()) {
    const got = await fetch(url).then(
      (r) => r.arrayBuffer().then(() => r.status),
      () => 0,
    );
    if (got === status) return performance.now() - since;
    await new Promise((r) => setTimeout(r, 20));
  }
  return NaN;
}

/**
 * CPU time (user + system, ms) process `pid` used so far, from /proc (NaN elsewhere); a figure
 * other load on a shared machine barely changes, where it stretches the wall time.
 * @param {number | undefined} pid
 */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/**
 * `view --json > /dev/null` over `stream`: its wall time and CPU time (ms; the CPU time from
 * /usr/bin/time where there is one), and nats-server's CPU time meanwhile.
 * @param {string} url
 * @param {string} stream
 * @param {number | undefined} serverPid
 */
async function viewTime(url, stream, serverPid) {
  const server0 = cpuMs(serverPid);
  const started = performance.now();
  const argv = [process.execPath, BIN, "view", "--stream", stream, "--json"];
  const time = existsSync("/usr/bin/time") ? ["/usr/bin/time", "-f", "CPU %U %S"] : [];
  const cmd = [...time, ...argv];
  const child = spawn(/** @type {string} */ (cmd[0]), cmd.slice(1), {
    env: { ...process.env, NATS_URL: url },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise((r) => child.once("close", r));
  if (code !== 0) throw new Error(`view exited ${code}: ${err}`);
  const ms = performance.now() - started;
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(err);
  const cpuOf = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN;
  return { ms, cpuMs: cpuOf, serverCpuMs: cpuMs(serverPid) - server0 };
}

/**
 * Starts serve, resolves when it printed where it listens: ms since spawn to the port
 * answering, to the newest page, to the listening line, peak RSS so far, and the CPU time
 * serve and nats-server (`serverPid`) used until then.
 * @param {string} url
 * @param {string} stream
 * @param {string} [bin] the CLI to start (another build's, compared)
 * @param {number} [serverPid]
 */
async function start(url, stream, bin = BIN, serverPid = undefined) {
  const port = await freePort();
  const server0 = cpuMs(serverPid);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [bin, "serve", "--port", String(port), "--json", "--stream", stream],
    {
      env: { ...process.env, NATS_URL: url },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  const base = `http://127.0.0.1:${port}`;
  const listening = () => out.includes("\n");
  const portOpen = answered(`${base}/healthz`, 200, started, listening);
  const newest = answered(`${base}/tweets?limit=50`, 200, started, listening);
  const line = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0] ?? "{}"));
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  const ms = performance.now() - started;
  const cpu = cpuMs(child.pid);
  const serverCpu = cpuMs(serverPid) - server0;
  // polled while it was not listening yet; NaN: it listened first (then it is ms)
  const portMs = (await portOpen) || ms;
  const newestMs = (await newest) || ms;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
  // batches of the build written again acked (a build before the counter existed: none said)
  const metrics = await fetch(`${base}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  const fallbacks = /^tweetstream_view_build_fallbacks_total (\d+)$/m.exec(metrics)?.[1] ?? "-";
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  const rssMiB = hwm ? Number(hwm[1]) / 1024 : NaN;
  return { ms, portMs, newestMs, rssMiB, line, cpuMs: cpu, serverCpuMs: serverCpu, fallbacks };
}

/** Removes the view's bucket of `stream` if there is one. @param {string} url @param {string} stream */
async function removeView(url, stream) {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(`KV_tweetstream_view_${stream}`).catch(() => undefined);
  await nc.close();
}

/** @param {{ url: string, server?: { pid: number }, report: (rows: Array<Record<string, string | number>>) => void }} ctx */
export async function run(ctx) {
  const rows = [];
  for (const n of SIZES) {
    const stream = `BENCH_VIEW_${n}`;
    const t = performance.now();
    const expected = await fill(ctx.url, stream, n);
    console.log(`${n} events stored in ${Math.round(performance.now() - t)} ms`);
    const builds = [{ label: "", bin: BIN }];
    if (COMPARE) builds.push({ label: " (compared build)", bin: COMPARE });
    for (let round = 1; round <= ROUNDS; round++) {
      const view = await viewTime(ctx.url, stream, ctx.server?.pid);
      const order = round % 2 === 1 ? builds : [...builds].reverse();
      for (const build of order) {
        await removeView(ctx.url, stream);
        const phases = ["first start (builds the view)"];
        // a restart costs the same whatever the stream's length: measured once
        if (round === 1 && build.bin === BIN) phases.push("restart (resumes from the view)");
        for (const phase of phases) {
          const r = await start(ctx.url, stream, build.bin, ctx.server?.pid);
          const exact = r.line.tweets === expected.tweets && r.line.likes === expected.likes;
          rows.push({
            events: n,
            phase: phase + build.label + (ROUNDS > 1 ? `, round ${round}` : ""),
            "port open (ms)": Math.round(r.portMs),
            "newest page (ms)": Math.round(r.newestMs),
            "to listening (ms)": Math.round(r.ms),
            "view --json (ms)": Math.round(view.ms),
            "listening / view": (r.ms / view.ms).toFixed(1),
            // CPU time (serve's + nats-server's) over view's: what load stretches less
            "CPU: serve + server (ms)": `${Math.round(r.cpuMs)} + ${Math.round(r.serverCpuMs)}`,
            "CPU: view + server (ms)": `${Math.round(view.cpuMs)} + ${Math.round(view.serverCpuMs)}`,
            "CPU / view": ((r.cpuMs + r.serverCpuMs) / (view.cpuMs + view.serverCpuMs)).toFixed(1),
            "peak RSS (MiB)": Math.round(r.rssMiB),
            fallbacks: r.fallbacks,
            counts: exact ? "exact" : `WRONG ${r.line.tweets}/${r.line.likes}`,
          });
          console.log(JSON.stringify(rows[rows.length - 1]));
        }
      }
    }
    await removeView(ctx.url, stream);
    const nc = await connect({ servers: ctx.url });
    await (await nc.jetstreamManager()).streams.delete(stream);
    await nc.close();
  }
  ctx.report(rows);
}
