// Reading speed and memory. (1) `listen --durable --json` through a 100 000-event backlog
// into a file, beside a minimal nats.js durable consume-and-ack loop (baselines/
// consume-ack.mjs) over the same stream in the same run (target: ≥ 0.7 of it). (2) `view
// --json` of the same backlog beside a minimal ordered-consumer loop (baselines/
// ordered-read.mjs). (3) peak RSS of `listen` through 100 000 and 1 000 000 events, which
// must stay flat. Backlogs are published here with pipelined core publishes and checked
// by the stream's message count. BENCH_READ_EVENTS / BENCH_READ_BIG change the sizes.

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "nats";

export const name = "read";

const EVENTS = Number(process.env.BENCH_READ_EVENTS ?? 100_000);
const BIG = Number(process.env.BENCH_READ_BIG ?? 1_000_000);
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
  /** @param {string} script @param {string} stream @param {number} n */
  const base = async (script, stream, n) => {
    const r = await timed(process.execPath, [baseline(script), url, stream, String(n)], {
      measureMemory: true,
    });
    if (r.code !== 0) throw new Error(`${script}: exit ${r.code} ${r.stderr}`);
    return r;
  };
  try {
    const add = await cli(["stream", "add"], { env });
    if (add.code !== 0) throw new Error(`stream add: ${add.stderr}`);
    await backlog(url, "BENCH_READ", 0, EVENTS);
    const n = String(EVENTS);
    const consumeAck = await base("consume-ack.mjs", "BENCH_READ", EVENTS);
    const listen = await mine(
      ["listen", "--durable", "bench", "--json", "--count", n],
      "listen.ndjson",
    );
    const lines = statSync(join(dir, "listen.ndjson")).size;
    const ordered = await base("ordered-read.mjs", "BENCH_READ", EVENTS);
    const view = await mine(["view", "--json"], "view.ndjson");
    const rows = [
      {
        case: `nats.js consume+ack (baseline)`,
        events: EVENTS,
        ms: Math.round(consumeAck.ms),
        "events/s": rate(EVENTS, consumeAck.ms),
        "vs baseline": "1.00",
        "peak RSS MiB": mib(consumeAck.maxRssKiB),
      },
      {
        case: `listen --durable --json > file`,
        events: EVENTS,
        ms: Math.round(listen.ms),
        "events/s": rate(EVENTS, listen.ms),
        "vs baseline": (consumeAck.ms / listen.ms).toFixed(2),
        "peak RSS MiB": mib(listen.maxRssKiB),
      },
      {
        case: `nats.js ordered consumer (baseline)`,
        events: EVENTS,
        ms: Math.round(ordered.ms),
        "events/s": rate(EVENTS, ordered.ms),
        "vs baseline": "1.00",
        "peak RSS MiB": mib(ordered.maxRssKiB),
      },
      {
        case: `view --json > file`,
        events: EVENTS,
        ms: Math.round(view.ms),
        "events/s": rate(EVENTS, view.ms),
        "vs baseline": (ordered.ms / view.ms).toFixed(2),
        "peak RSS MiB": mib(view.maxRssKiB),
      },
    ];
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
        "vs baseline": "-",
        "peak RSS MiB": mib(big.maxRssKiB),
      });
    }
    report(rows);
    console.log(`listen wrote ${lines} bytes of NDJSON for ${EVENTS} events`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
