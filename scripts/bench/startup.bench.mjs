// Start-up: one `tweetstream tweet` as a whole process (start, connect, publish, ack,
// drain, exit) beside baselines/tweet-one.mjs, a minimal nats.js script doing the same
// (target ≤ 1.0×), and `--version` / `--help` beside a bare `node -e 0` (target ≤ 1.5×; a
// leaf's help, `stream add --help`, for comparison);
// the same tweet with TWEETSTREAM_DEBUG set shows what its source maps cost. Medians of
// BENCH_STARTUP_RUNS (default 15) alternating runs, on each Node of measure.mjs's nodes():
// wall time, and CPU time, which other load on a shared machine disturbs far less.

import { fileURLToPath } from "node:url";

export const name = "startup";

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15);
const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));
const TWEET_ONE = fileURLToPath(new URL("baselines/tweet-one.mjs", import.meta.url));

/** @param {{ url: string, cli: Function, report: Function, nodes: Function, alternate: Function }} ctx */
export async function run({ url, cli, report, nodes, alternate }) {
  const stream = "BENCH_STARTUP";
  const added = await cli(["stream", "add", stream], { env: { NATS_URL: url } });
  if (added.code !== 0) throw new Error(`stream add: ${added.stderr}`);
  for (const node of nodes()) {
    const env = { NATS_URL: url };
    const ts = (/** @type {string[]} */ args) => [node.path, BIN, ...args];
    const tweet = ts(["tweet", "hello world !", "--stream", stream]);
    const r = await alternate(
      [
        { label: "node -e 0", argv: [node.path, "-e", "0"] },
        { label: "tweetstream --version", argv: ts(["--version"]) },
        { label: "tweetstream --help", argv: ts(["--help"]) },
        { label: "tweetstream stream add --help", argv: ts(["stream", "add", "--help"]) },
        { label: "nats.js connect-publish-exit", argv: [node.path, TWEET_ONE, url, stream, "hi"] },
        { label: "tweetstream tweet", argv: tweet, env },
        {
          label: "tweetstream tweet, TWEETSTREAM_DEBUG=1 (source maps on)",
          argv: tweet,
          env: { ...env, TWEETSTREAM_DEBUG: "1" },
        },
      ],
      RUNS,
    );
    const [bare, version, help, leafHelp, base, mine, debug] = r;
    const ratio = (/** @type {any} */ a, /** @type {any} */ b) => (a.median / b.median).toFixed(2);
    const cpuRatio = (/** @type {any} */ a, /** @type {any} */ b) => (a.cpu / b.cpu).toFixed(2);
    const row = (/** @type {any} */ x, /** @type {any} */ vs, /** @type {string} */ target) => ({
      what: x.label,
      "median ms": Math.round(x.median),
      "min ms": Math.round(x.min),
      "CPU ms": Math.round(x.cpu),
      "ratio (wall, CPU)": vs ? `${ratio(x, vs)}, ${cpuRatio(x, vs)}` : "",
      target,
    });
    report(
      [
        row(bare, undefined, ""),
        row(version, bare, "≤ 1.5× node -e 0"),
        row(help, bare, "≤ 1.5× node -e 0"),
        row(leafHelp, bare, ""),
        row(base, undefined, ""),
        row(mine, base, "≤ 1.0× nats.js"),
        row(debug, base, ""),
      ],
      `${node.label}, medians of ${RUNS} alternating runs`,
    );
  }
}
