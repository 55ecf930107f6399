// serve start-up against a long stream: time from spawn to the "listening" line and peak
// RSS (VmHWM when it listens), at 100 000 and 1 000 000 events (80 % tweets, 20 % likes).
// First start: serve builds its view (the KV bucket tweetstream_view_<STREAM>) from the
// whole stream. Restart: it resumes from the view. Both check the counts it prints.
// BENCH_SERVE_SIZES=100000,1000000 changes the sizes.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connect } from "nats";

export const name = "serve-view";

const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));
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
    if (i % 5000 === 4999) await nc.flush();
  }
  await nc.flush();
  for (;;) {
    const { state } = await jsm.streams.info(stream);
    if (state.messages >= n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await nc.close();
  return { tweets, likes: n - tweets };
}

/**
 * Starts serve, resolves when it printed where it listens: ms since spawn, peak RSS so far.
 * @param {string} url
 * @param {string} stream
 */
async function start(url, stream) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, "serve", "--port", "0", "--json", "--stream", stream],
    {
      env: { ...process.env, NATS_URL: url },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  const line = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0] ?? "{}"));
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  const ms = performance.now() - started;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  return { ms, rssMiB: hwm ? Number(hwm[1]) / 1024 : NaN, line };
}

/** @param {{ url: string, report: (rows: Array<Record<string, string | number>>) => void }} ctx */
export async function run(ctx) {
  const rows = [];
  for (const n of SIZES) {
    const stream = `BENCH_VIEW_${n}`;
    const t = performance.now();
    const expected = await fill(ctx.url, stream, n);
    console.log(`${n} events stored in ${Math.round(performance.now() - t)} ms`);
    for (const phase of ["first start (builds the view)", "restart (resumes from the view)"]) {
      const r = await start(ctx.url, stream);
      const exact = r.line.tweets === expected.tweets && r.line.likes === expected.likes;
      rows.push({
        events: n,
        phase,
        "to listening (ms)": Math.round(r.ms),
        "peak RSS (MiB)": Math.round(r.rssMiB),
        counts: exact ? "exact" : `WRONG ${r.line.tweets}/${r.line.likes}`,
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
    const nc = await connect({ servers: ctx.url });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream);
    await jsm.streams.delete(`KV_tweetstream_view_${stream}`);
    await nc.close();
  }
  ctx.report(rows);
}
