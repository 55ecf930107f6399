// `listen --exec` with a trivial handler (`cat > /dev/null`): events/s through a backlog,
// beside a minimal nats.js worker that spawns the same handler per message and acks it
// (baselines/exec-worker.mjs), in the same run; then --parallel 4. The cost per event is
// the handler's process start, for both. BENCH_EXEC_EVENTS changes the size (default 2000).

import { fileURLToPath } from "node:url";
import { connect } from "nats";

export const name = "exec";

const EVENTS = Number(process.env.BENCH_EXEC_EVENTS ?? 2_000);
const HANDLER = "cat > /dev/null";
const STREAM = "BENCH_EXEC";
const baseline = fileURLToPath(new URL("baselines/exec-worker.mjs", import.meta.url));

/** @param {string} url @param {number} n */
async function backlog(url, n) {
  const nc = await connect({ servers: url });
  const js = nc.jetstream();
  const enc = new TextEncoder();
  for (let i = 0; i < n; i += 100) {
    const acks = [];
    for (let k = i; k < Math.min(n, i + 100); k++) {
      const event = {
        messageType: "tweet_created",
        id: `exec-${k}`,
        message: `hello ${k}`,
        date: new Date().toISOString(),
        author: "bench",
      };
      acks.push(js.publish(`${STREAM}.tweet_created`, enc.encode(JSON.stringify(event))));
    }
    await Promise.all(acks);
  }
  await nc.drain();
}

/** @param {number} n @param {number} ms */
const rate = (n, ms) => Math.round(n / (ms / 1000));

/** @param {{ url: string, cli: Function, timed: Function, report: Function }} ctx */
export async function run({ url, cli, timed, report }) {
  const env = { NATS_URL: url, TWEETSTREAM_STREAM: STREAM };
  const add = await cli(["stream", "add"], { env });
  if (add.code !== 0) throw new Error(`stream add: ${add.stderr}`);
  await backlog(url, EVENTS);
  const n = String(EVENTS);
  const base = await timed(process.execPath, [baseline, url, STREAM, n, HANDLER], {});
  if (base.code !== 0) throw new Error(`exec-worker baseline: exit ${base.code} ${base.stderr}`);
  /** @param {string} durable @param {string[]} extra */
  const mine = async (durable, extra) => {
    const r = await cli(
      ["listen", "--durable", durable, "--exec", HANDLER, "--count", n, "--quiet", ...extra],
      { env },
    );
    if (r.code !== 0) throw new Error(`listen --exec: exit ${r.code} ${r.stderr}`);
    return r;
  };
  const one = await mine("bench1", []);
  const four = await mine("bench4", ["--parallel", "4"]);
  report(
    [
      {
        case: "nats.js worker spawning the handler (baseline)",
        events: EVENTS,
        ms: Math.round(base.ms),
        "events/s": rate(EVENTS, base.ms),
        "vs baseline": "1.00",
      },
      {
        case: "listen --exec",
        events: EVENTS,
        ms: Math.round(one.ms),
        "events/s": rate(EVENTS, one.ms),
        "vs baseline": (base.ms / one.ms).toFixed(2),
      },
      {
        case: "listen --exec --parallel 4",
        events: EVENTS,
        ms: Math.round(four.ms),
        "events/s": rate(EVENTS, four.ms),
        "vs baseline": (base.ms / four.ms).toFixed(2),
      },
    ],
    `listen --exec, handler \`${HANDLER}\``,
  );
}
