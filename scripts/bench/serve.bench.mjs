// serve: requests/s of POST /tweets (201 after the JetStream ack) and GET /tweets
// (the projection's timeline) at bounded concurrency over keep-alive connections,
// beside a minimal node http + nats.js server doing the same (baselines/serve-baseline.mjs).
// The load generator runs in this process, on the same machine: figures are relative.

import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";

export const name = "serve";

const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));
const BASELINE = fileURLToPath(new URL("./baselines/serve-baseline.mjs", import.meta.url));
const REQUESTS = 3000;
const CONCURRENCY = 32;

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
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * `total` requests, `concurrency` at a time; returns requests/s and latency percentiles.
 * @param {string} url
 * @param {(i: number) => { method: string, path: string, body?: string, expect: number }} make
 */
async function load(url, make, total = REQUESTS, concurrency = CONCURRENCY) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const base = new URL(url);
  /** @type {number[]} */
  const latencies = [];
  let next = 0;
  let errors = 0;
  const one = (/** @type {number} */ i) =>
    new Promise((resolve) => {
      const spec = make(i);
      const started = performance.now();
      const req = request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method: spec.method,
          path: spec.path,
          headers: spec.body ? { "Content-Type": "application/json" } : {},
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencies.push(performance.now() - started);
            if (res.statusCode !== spec.expect) errors++;
            resolve(undefined);
          });
        },
      );
      req.on("error", () => {
        errors++;
        resolve(undefined);
      });
      req.end(spec.body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await one(i);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (/** @type {number} */ p) =>
    (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1);
  return { rps: Math.round(total / seconds), p50: pct(0.5), p99: pct(0.99), errors };
}

/** @param {string} url */
async function measure(url) {
  const post = (/** @type {number} */ i) => ({
    method: "POST",
    path: "/tweets",
    body: JSON.stringify({ message: `bench tweet ${i}`, author: `user${i % 10}` }),
    expect: 201,
  });
  await load(url, post, 300); // warm-up
  const posts = await load(url, post);
  const gets = await load(url, () => ({ method: "GET", path: "/tweets?limit=50", expect: 200 }));
  return { posts, gets };
}

/** @param {{ url: string, cli: Function, report: Function }} ctx */
export async function run({ url, cli, report }) {
  const env = { NATS_URL: url };
  for (const stream of ["BENCH_SERVE", "BENCH_BASE"]) {
    const r = await cli(["stream", "add", stream], { env });
    if (r.code !== 0) throw new Error(`stream add ${stream}: ${r.stderr}`);
  }
  const rows = [];
  const targets = [
    ["tweetstream serve", [BIN, "serve", "--port", "0", "--json", "--stream", "BENCH_SERVE"]],
    ["baseline (http + nats.js)", [BASELINE, url, "BENCH_BASE"]],
  ];
  for (const [label, argv] of targets) {
    const server = await startHttp(/** @type {string[]} */ (argv), env);
    try {
      const { posts, gets } = await measure(server.url);
      rows.push({
        server: label,
        "POST /tweets req/s": posts.rps,
        "POST p50/p99 ms": `${posts.p50}/${posts.p99}`,
        "GET /tweets req/s": gets.rps,
        "GET p50/p99 ms": `${gets.p50}/${gets.p99}`,
        errors: posts.errors + gets.errors,
      });
    } finally {
      await server.stop();
    }
  }
  console.log(`${REQUESTS} requests per figure, ${CONCURRENCY} concurrent, keep-alive`);
  report(rows);

  // start-up: serve reads the whole stream into its projection before it listens
  const events = (await cli(["stream", "info", "BENCH_SERVE", "--json"], { env })).stdout;
  const started = performance.now();
  const again = await startHttp(
    [BIN, "serve", "--port", "0", "--json", "--stream", "BENCH_SERVE"],
    env,
  );
  const bootMs = performance.now() - started;
  await again.stop();
  report([
    {
      "serve start-up": "process start to listening",
      events: JSON.parse(events).state.messages,
      ms: Math.round(bootMs),
    },
  ]);
}
