// Reading speed and memory. (1) `listen --durable --json` through a 100 000-event backlog
// into a file, beside a minimal nats.js durable consume-and-ack loop that writes nothing
// (baselines/consume-ack.mjs, kept for earlier figures) and beside the fastest loop the
// client allows writing the same lines (baselines/consume-write.mjs: target ≥ 0.95 of
// it). (2) `view --json` of the same backlog beside an ordered consumer writing nothing
// (ordered-read.mjs) and one writing the same lines (ordered-write.mjs). All in
// alternating rounds (BENCH_ROUNDS, 3), medians, with CPU per event. (3) peak RSS of
// `listen` through 100 000 and 1 000 000 events, which must stay flat. Backlogs are published here with pipelined core publishes and checked
// by the stream's message count. BENCH_READ_EVENTS / BENCH_READ_BIG change the sizes.
// BENCH_BEFORE_BIN, the bin/tweetstream.js of another build (a copy of bin/ and dist/ made
// before a change), adds its `listen` as a case of the same rounds: before and after alternate.

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "nats";
import { median } from "./measure.mjs";

export const name = "read";

const EVENTS = Number(process.env.BENCH_READ_EVENTS ?? 100_000);
const BIG = Number(process.env.BENCH_READ_BIG ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BEFORE_BIN = process.env.BENCH_BEFORE_BIN;
const baseline = (/** @type {string} */ f) =>
  fileURLToPath(new URL(`baselines/${f}`, import.meta.url));

/**
 * Publishes events i = from … to-1 to `<stream>.tweet_created|tweet_liked` and waits until
 * the stream holds `to` messages.
 * @param {string} url @param {string} stream @param {number} from @param {number} to
 */
async function backlog(url, stream, from, to) {
  const nc = await connect({ servers: url });
  const enc = new TextEncoder();
  const date = Date.parse("2022-01-07T22:00:00Z");
  for (let i = from; i < to; i++) {
    const liked = i % 5 === 4;
    const event = {
      messageType: liked ? "tweet_liked" : "tweet_created",
      id: `bench-${liked ? i - 1 : i}`,
      message: liked ? "" : `hello world ${i} !`,
      date: new Date(date + i).toISOString(),
      author: `user${i % 89}`,
    };
    nc.publish(`${stream}.${event.messageType}`, enc.encode(JSON.stringify(event)));
    // flush every so often: bounded client buffer, the server keeps up
    if (i % 5_000 === 4_999) await nc.flush();
  }
  await nc.flush();
  const jsm = await nc.jetstreamManager();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { state } = await jsm.streams.info(stream);
    if (state.messages >= to) break;
    if (Date.now() > deadline)
      throw new Error(`stream ${stream} holds ${state.messages} of ${to} messages`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await nc.drain();
}

/** @param {number} n @param {number} ms */
const rate = (n, ms) => Math.round(n / (ms / 1000));
/** @param {number | null} kib */
const mib = (kib) => (kib === null ? "n/a" : (kib / 1024).toFixed(1));

/** @param {{ url: string, cli: Function, timed: Function, report: Function }} ctx */
export async function run({ url, cli, timed, report }) {
  const env = { NATS_URL: url, TWEETSTREAM_STREAM: "BENCH_READ" };
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-"));
  /** @param {string[]} args @param {string} file */
  const mine = async (args, file) => {
    const r = await cli(args, { env, stdoutFile: join(dir, file), measureMemory: true });
    if (r.code !== 0) throw new Error(`tweetstream ${args.join(" ")}: exit ${r.code} ${r.stderr}`);
    return r;
  };
  /** @param {string} script @param {string} stream @param {number} n @param {string} [file] */
  const base = async (script, stream, n, file) => {
    const r = await timed(process.execPath, [baseline(script), url, stream, String(n)], {
      measureMemory: true,
      ...(file ? { stdoutFile: join(dir, file) } : {}),
    });
    if (r.code !== 0) throw new Error(`${script}: exit ${r.code} ${r.stderr}`);
    return r;
  };
  try {
    const add = await cli(["stream", "add"], { env });
    if (add.code !== 0) throw new Error(`stream add: ${add.stderr}`);
    await backlog(url, "BENCH_READ", 0, EVENTS);
    const n = String(EVENTS);
    /** @type {Array<{ case: string, vs?: number, go: (round: number) => Promise<{ ms: number, cpuMs: number | null, maxRssKiB: number | null }> }>} */
    const cases = [
      {
        case: "nats.js consume+ack, no output (consume-ack.mjs)",
        go: () => base("consume-ack.mjs", "BENCH_READ", EVENTS),
      },
      {
        case: "nats.js tuned consume, same lines, acks (consume-write.mjs)",
        go: () => base("consume-write.mjs", "BENCH_READ", EVENTS, "consume-write.ndjson"),
      },
      {
        case: "listen --durable --json > file",
        vs: 1,
        go: (round) =>
          mine(["listen", "--durable", `bench${round}`, "--json", "--count", n], "listen.ndjson"),
      },
      ...(BEFORE_BIN
        ? [
            {
              case: `listen --durable --json > file, before (${BEFORE_BIN})`,
              vs: 1,
              /** @param {number} round */
              go: async (round) => {
                const args = ["listen", "--durable", `before${round}`, "--json", "--count", n];
                const r = await timed(process.execPath, [BEFORE_BIN, ...args], {
                  env,
                  stdoutFile: join(dir, "before.ndjson"),
                  measureMemory: true,
                });
                if (r.code !== 0)
                  throw new Error(`before ${args.join(" ")}: exit ${r.code} ${r.stderr}`);
                return r;
              },
            },
          ]
        : []),
      {
        case: "nats.js ordered consumer, no output (ordered-read.mjs)",
        go: () => base("ordered-read.mjs", "BENCH_READ", EVENTS),
      },
      {
        case: "nats.js ordered consumer, same lines (ordered-write.mjs)",
        go: () => base("ordered-write.mjs", "BENCH_READ", EVENTS, "ordered-write.ndjson"),
      },
      {
        case: "view --json > file",
        vs: BEFORE_BIN ? 5 : 4,
        go: () => mine(["view", "--json"], "view.ndjson"),
      },
    ];
    /** @type {Array<{ ms: number[], cpu: number[], rss: number[] }>} */
    const runs = cases.map(() => ({ ms: [], cpu: [], rss: [] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, c] of cases.entries()) {
        const r = await c.go(round);
        runs[i]?.ms.push(r.ms);
        if (r.cpuMs !== null) runs[i]?.cpu.push(r.cpuMs);
        if (r.maxRssKiB !== null) runs[i]?.rss.push(r.maxRssKiB);
      }
    }
    const lines = statSync(join(dir, "listen.ndjson")).size;
    const ms = runs.map((r) => median(r.ms));
    /** @type {Array<Record<string, string | number>>} */
    const rows = cases.map((c, i) => {
      const r = /** @type {{ ms: number[], cpu: number[], rss: number[] }} */ (runs[i]);
      const wall = /** @type {number} */ (ms[i]);
      /** @param {number} j */
      const ratio = (j) => ((ms[j] ?? NaN) / wall).toFixed(2);
      return {
        case: c.case,
        events: EVENTS,
        ms: Math.round(wall),
        "events/s": rate(EVENTS, wall),
        "vs no output": c.vs === undefined ? "" : ratio(c.vs - 1),
        "vs same lines": c.vs === undefined ? "" : ratio(c.vs),
        "CPU µs/event": r.cpu.length ? ((median(r.cpu) * 1000) / EVENTS).toFixed(1) : "-",
        "peak RSS MiB": r.rss.length ? mib(median(r.rss)) : "-",
      };
    });
    if (BIG > EVENTS) {
      await backlog(url, "BENCH_READ", EVENTS, BIG);
      const big = await mine(
        ["listen", "--durable", "big", "--json", "--count", String(BIG)],
        "big.ndjson",
      );
      rows.push({
        case: `listen --durable --json > file`,
        events: BIG,
        ms: Math.round(big.ms),
        "events/s": rate(BIG, big.ms),
        "peak RSS MiB": mib(big.maxRssKiB),
      });
    }
    report(rows, `medians of ${ROUNDS} alternating rounds; "vs": the baseline's time / ours`);
    console.log(`listen wrote ${lines} bytes of NDJSON for ${EVENTS} events`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
