// Publishing speed. (1) `publish --file` of 100 000 events (tweets and likes) against a
// minimal nats.js program pipelining the same publishes with the same message ids and the
// same window (baselines/publish-pipelined.mjs); each into its own fresh stream. (2) the
// wall time of one `tweetstream tweet` against a minimal connect-publish-exit nats.js
// script (baselines/tweet-one.mjs), median of several alternating runs.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const name = "publish";

const EVENTS = Number(process.env.BENCH_PUBLISH_EVENTS ?? 100_000);
const TWEET_RUNS = Number(process.env.BENCH_TWEET_RUNS ?? 11);
const WINDOW = 256;
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
 * @param {number[]} xs
 * @returns {number}
 */
function median(xs) {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}

/** @param {{ url: string, cli: Function, timed: Function, report: Function }} ctx */
export async function run({ url, cli, timed, report }) {
  const env = { NATS_URL: url };
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-"));
  try {
    const file = eventsFile(dir);
    for (const s of ["BENCH_CLI", "BENCH_BASE", "BENCH_TWEET"]) {
      const r = await cli(["stream", "add", s], { env });
      if (r.code !== 0) throw new Error(`stream add ${s}: ${r.stderr}`);
    }
    const base = await timed(
      process.execPath,
      [baseline("publish-pipelined.mjs"), url, "BENCH_BASE", file, String(WINDOW)],
      { measureMemory: true },
    );
    if (base.code !== 0) throw new Error(`baseline failed: ${base.stderr}`);
    const mine = await cli(["publish", "--file", file, "--json", "--window", String(WINDOW)], {
      env: { ...env, TWEETSTREAM_STREAM: "BENCH_CLI" },
      measureMemory: true,
    });
    if (mine.code !== 0) throw new Error(`publish failed: ${mine.stderr}`);
    const summary = JSON.parse(mine.stdout);
    if (summary.published !== EVENTS)
      throw new Error(`published ${summary.published} of ${EVENTS}`);
    const rate = (/** @type {number} */ ms) => Math.round((EVENTS * 1000) / ms);
    report([
      {
        what: `nats.js baseline, ${EVENTS} events`,
        "events/s": rate(base.ms),
        "wall ms": Math.round(base.ms),
        "max RSS MiB": base.maxRssKiB ? Math.round(base.maxRssKiB / 1024) : "-",
      },
      {
        what: `tweetstream publish --file`,
        "events/s": rate(mine.ms),
        "wall ms": Math.round(mine.ms),
        "max RSS MiB": mine.maxRssKiB ? Math.round(mine.maxRssKiB / 1024) : "-",
      },
      {
        what: "ratio (target ≥ 0.8)",
        "events/s": (base.ms / mine.ms).toFixed(2),
        "wall ms": "",
        "max RSS MiB": "",
      },
    ]);

    // warm both once (file cache), then alternate so load drifts hit both alike
    await timed(process.execPath, [baseline("tweet-one.mjs"), url, "BENCH_TWEET", "warm"]);
    await cli(["tweet", "warm", "--stream", "BENCH_TWEET"], { env });
    /** @type {number[]} */
    const baseMs = [];
    /** @type {number[]} */
    const cliMs = [];
    /** @type {number[]} */
    const versionMs = [];
    for (let i = 0; i < TWEET_RUNS; i++) {
      const b = await timed(process.execPath, [
        baseline("tweet-one.mjs"),
        url,
        "BENCH_TWEET",
        "hello world !",
      ]);
      const c = await cli(["tweet", "hello world !", "--stream", "BENCH_TWEET"], { env });
      if (b.code !== 0 || c.code !== 0) throw new Error(`tweet run failed: ${b.stderr}${c.stderr}`);
      baseMs.push(b.ms);
      cliMs.push(c.ms);
      // the CLI's fixed start-up (commander, chalk, command modules), no NATS at all
      versionMs.push((await cli(["--version"])).ms);
    }
    report([
      {
        what: "nats.js connect-publish-exit",
        "median ms": Math.round(median(baseMs)),
        "min ms": Math.round(Math.min(...baseMs)),
      },
      {
        what: "tweetstream tweet",
        "median ms": Math.round(median(cliMs)),
        "min ms": Math.round(Math.min(...cliMs)),
      },
      {
        what: "tweetstream --version (start-up only)",
        "median ms": Math.round(median(versionMs)),
        "min ms": Math.round(Math.min(...versionMs)),
      },
      {
        what: "ratio (target ≤ 1.15)",
        "median ms": (median(cliMs) / median(baseMs)).toFixed(2),
        "min ms": (Math.min(...cliMs) / Math.min(...baseMs)).toFixed(2),
      },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
