// Bulk publishing memory: peak RSS of `tweet --count N` and `publish --file` at 100 000
// and 2 000 000 events beside the minimal pipelined nats.js baseline
// (baselines/publish-pipelined.mjs) on the same file. A bulk run must stay within the
// same peak memory at any length (README "Performance"). Streams keep only their newest
// 100 000 messages so that the server's store stays small.
// Sizes: BENCH_MEMORY_EVENTS="100000,2000000" (default).

import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const name = "memory";

const SIZES = (process.env.BENCH_MEMORY_EVENTS ?? "100000,2000000").split(",").map(Number);
const WINDOW = "256";
const baseline = fileURLToPath(new URL("baselines/publish-pipelined.mjs", import.meta.url));

/** Writes n tweets as NDJSON without holding them. */
async function eventsFile(/** @type {string} */ dir, /** @type {number} */ n) {
  const path = join(dir, `events-${n}.ndjson`);
  const out = createWriteStream(path);
  for (let i = 1; i <= n; i++) {
    const line = `{"messageType":"tweet_created","id":"mem-${n}-${i}","message":"hello world ${i} !","date":"2022-01-07T22:01:27Z","author":"user${i % 89}"}\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return path;
}

const mib = (/** @type {number | null} */ kib) => (kib ? Math.round(kib / 1024) : "-");

/** @param {{ url: string, cli: Function, timed: Function, report: Function }} ctx */
export async function run({ url, cli, timed, report }) {
  const env = { NATS_URL: url };
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-mem-"));
  const rows = [];
  try {
    for (const n of SIZES) {
      const file = await eventsFile(dir, n);
      const stream = (/** @type {string} */ what) => `MEM_${what}_${n}`;
      for (const s of ["BASE", "PUB", "TWEET"]) {
        const r = await cli(["stream", "add", stream(s), "--max-msgs", "100000"], { env });
        if (r.code !== 0) throw new Error(`stream add: ${r.stderr}`);
      }
      const base = await timed(process.execPath, [baseline, url, stream("BASE"), file, WINDOW], {
        measureMemory: true,
      });
      const pub = await cli(["publish", "--file", file, "--json", "--window", WINDOW], {
        env: { ...env, TWEETSTREAM_STREAM: stream("PUB") },
        measureMemory: true,
      });
      const tweet = await cli(
        ["tweet", "hello {{n}}", "--id", `t-${n}-{{n}}`, "--count", String(n), "--json"],
        { env: { ...env, TWEETSTREAM_STREAM: stream("TWEET") }, measureMemory: true },
      );
      for (const [what, r] of [
        ["nats.js pipelined baseline", base],
        ["tweetstream publish --file", pub],
        ["tweetstream tweet --count", tweet],
      ]) {
        if (r.code !== 0) throw new Error(`${what} at ${n}: exit ${r.code} ${r.stderr}`);
        rows.push({
          what,
          events: n,
          "max RSS MiB": mib(r.maxRssKiB),
          "events/s": Math.round((n * 1000) / r.ms),
        });
      }
      rmSync(file);
    }
    report(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
