// Publishing speed: `publish --file` of 100 000 events (tweets and likes) against two
// nats.js programs publishing the same lines with the same message ids and the same
// window: the minimal one with js.publish (baselines/
// publish-pipelined.mjs, kept for comparison with earlier figures), and the fastest the
// client allows: plain publishes to one ack inbox, every ack checked (baselines/
// publish-raw.mjs). `tweet --count` of as many tweets is measured against the raw
// publisher too (it builds its events instead of reading them). Each run into its own
// fresh stream, in alternating rounds (BENCH_ROUNDS, 3). (One `tweet` is in
// startup.bench.mjs.)

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./measure.mjs";

export const name = "publish";

const EVENTS = Number(process.env.BENCH_PUBLISH_EVENTS ?? 100_000);
const WINDOW = 256;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const baseline = (/** @type {string} */ f) =>
  fileURLToPath(new URL(`baselines/${f}`, import.meta.url));

/** Tweets with every fifth event a like of an earlier tweet, as the article's app would. */
/** @param {string} dir */
function eventsFile(dir) {
  const lines = [];
  const start = Date.parse("2022-01-07T22:00:00Z");
  for (let i = 1; i <= EVENTS; i++) {
    const date = new Date(start + i).toISOString();
    lines.push(
      JSON.stringify(
        i % 5 === 0
          ? {
              messageType: "tweet_liked",
              id: `bench-${i - 1}`,
              message: "",
              date,
              author: `user${i % 97}`,
            }
          : {
              messageType: "tweet_created",
              id: `bench-${i}`,
              message: `hello world ${i} !`,
              date,
              author: `user${i % 89}`,
            },
      ),
    );
  }
  const path = join(dir, "events.ndjson");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

/**
 * The ways to load the file (and tweet --count, the same number of events), in alternating rounds (each into a fresh stream, so a
 * load drift on a shared machine hits every case alike); medians per case.
 * @param {{ url: string, cli: Function, timed: Function, report: Function }} ctx
 */
export async function run({ url, cli, timed, report }) {
  const env = { NATS_URL: url };
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-"));
  try {
    const file = eventsFile(dir);
    const cases = [
      {
        what: "nats.js js.publish (publish-pipelined.mjs)",
        /** @param {string} stream */
        go: (stream) =>
          timed(
            process.execPath,
            [baseline("publish-pipelined.mjs"), url, stream, file, String(WINDOW)],
            { measureMemory: true },
          ),
      },
      {
        what: "raw nc.publish to one ack inbox (publish-raw.mjs)",
        /** @param {string} stream */
        go: (stream) =>
          timed(
            process.execPath,
            [baseline("publish-raw.mjs"), url, stream, file, String(WINDOW)],
            {
              measureMemory: true,
            },
          ),
      },
      {
        what: "tweetstream tweet --count",
        /** @param {string} stream */
        go: async (stream) => {
          const r = await cli(
            [
              "tweet",
              "bench {{n}}",
              "--count",
              String(EVENTS),
              "--json",
              "--window",
              String(WINDOW),
            ],
            { env: { ...env, TWEETSTREAM_STREAM: stream }, measureMemory: true },
          );
          if (r.code === 0 && JSON.parse(r.stdout).published !== EVENTS)
            throw new Error(
              `tweet --count published ${JSON.parse(r.stdout).published} of ${EVENTS}`,
            );
          return r;
        },
      },
      {
        what: "tweetstream publish --file",
        /** @param {string} stream */
        go: async (stream) => {
          const r = await cli(["publish", "--file", file, "--json", "--window", String(WINDOW)], {
            env: { ...env, TWEETSTREAM_STREAM: stream },
            measureMemory: true,
          });
          if (r.code === 0 && JSON.parse(r.stdout).published !== EVENTS)
            throw new Error(`published ${JSON.parse(r.stdout).published} of ${EVENTS}`);
          return r;
        },
      },
    ];
    /** @type {Array<{ ms: number[], cpu: number[], rss: number[] }>} */
    const runs = cases.map(() => ({ ms: [], cpu: [], rss: [] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, c] of cases.entries()) {
        const stream = `BENCH_${round}_${i}`;
        const add = await cli(["stream", "add", stream], { env });
        if (add.code !== 0) throw new Error(`stream add ${stream}: ${add.stderr}`);
        const r = await c.go(stream);
        if (r.code !== 0) throw new Error(`${c.what} failed: ${r.stderr}`);
        runs[i]?.ms.push(r.ms);
        if (r.cpuMs !== null) runs[i]?.cpu.push(r.cpuMs);
        if (r.maxRssKiB !== null) runs[i]?.rss.push(r.maxRssKiB);
        await cli(["stream", "rm", stream, "--force"], { env });
      }
    }
    const ms = runs.map((r) => median(r.ms));
    const raw = /** @type {number} */ (ms[1]);
    const mine = /** @type {number} */ (ms[3]);
    report(
      cases.map((c, i) => {
        const r = /** @type {{ ms: number[], cpu: number[], rss: number[] }} */ (runs[i]);
        const wall = /** @type {number} */ (ms[i]);
        return {
          what: `${c.what}, ${EVENTS} events`,
          "events/s": Math.round((EVENTS * 1000) / wall),
          "wall ms": Math.round(wall),
          "CPU µs/event": r.cpu.length ? ((median(r.cpu) * 1000) / EVENTS).toFixed(1) : "-",
          "max RSS MiB": r.rss.length ? Math.round(median(r.rss) / 1024) : "-",
          // publish --file against each baseline; each tweetstream run against the raw one
          "publish --file / this": i < 2 ? (wall / mine).toFixed(2) : "",
          "raw / this": i >= 2 ? (raw / wall).toFixed(2) : "",
        };
      }),
      `medians of ${ROUNDS} alternating rounds; target: raw / this ≥ 0.9 for tweetstream`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
