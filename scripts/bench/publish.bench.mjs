// Publishing speed: `publish --file` of 100 000 events (tweets and likes) against a
// minimal nats.js program pipelining the same publishes with the same message ids and the
// same window (baselines/publish-pipelined.mjs); each into its own fresh stream. (One
// `tweet` is in startup.bench.mjs.)

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const name = "publish";

const EVENTS = Number(process.env.BENCH_PUBLISH_EVENTS ?? 100_000);
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

/** @param {{ url: string, cli: Function, timed: Function, report: Function }} ctx */
export async function run({ url, cli, timed, report }) {
  const env = { NATS_URL: url };
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-"));
  try {
    const file = eventsFile(dir);
    for (const s of ["BENCH_CLI", "BENCH_BASE"]) {
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
