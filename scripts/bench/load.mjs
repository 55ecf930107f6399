#!/usr/bin/env node
// The serve benchmark's load generator when wrk is not installed: keep-alive HTTP
// requests at a fixed concurrency for a fixed time, in its own process (a generator
// sharing a process with anything else measures itself). Prints one JSON line:
// { rps, p50, p99, errors }. wrk is preferred: it spends far less CPU per request.
// Usage: node load.mjs <url> <method> <seconds> <concurrency> [json body]

import { Agent, request } from "node:http";

const [url = "", method = "GET", seconds = "5", concurrency = "32", body] = process.argv.slice(2);
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const expect = method === "POST" ? 201 : 200;
/** @type {number[]} */
const latencies = [];
let errors = 0;
const deadline = performance.now() + Number(seconds) * 1000;

const one = () =>
  new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path: target.pathname + target.search,
        headers: body ? { "Content-Type": "application/json" } : {},
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          latencies.push(performance.now() - started);
          if (res.statusCode !== expect) errors++;
          resolve(undefined);
        });
      },
    );
    req.on("error", () => {
      errors++;
      resolve(undefined);
    });
    req.end(body);
  });

const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (performance.now() < deadline) await one();
  }),
);
const elapsed = (performance.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const pct = (/** @type {number} */ p) =>
  Number(
    (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1),
  );
console.log(
  JSON.stringify({
    rps: Math.round(latencies.length / elapsed),
    p50: pct(0.5),
    p99: pct(0.99),
    errors,
  }),
);
