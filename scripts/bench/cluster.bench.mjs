// Throughput on a cluster: `publish --file`, `listen --durable --json` and `view --json`
// (into files) beside the fastest baselines doing the same work (publish-raw.mjs,
// consume-write.mjs, ordered-write.mjs), on an R1 and an R3 stream of the same throwaway
// local 3-node cluster, in alternating rounds (BENCH_ROUNDS, 3), medians, with CPU per
// event. (The runner's single server is not used.) BENCH_CLUSTER_EVENTS changes the size
// (20 000).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startCluster } from "../lib/nats-cluster.mjs";
import { median } from "./measure.mjs";

export const name = "cluster";

const EVENTS = Number(process.env.BENCH_CLUSTER_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const baseline = (/** @type {string} */ f) =>
  fileURLToPath(new URL(`baselines/${f}`, import.meta.url));

/** @param {number} n @param {number} ms */
const rate = (n, ms) => Math.round(n / (ms / 1000));

/** @param {string} file @param {number} n */
function eventsFile(file, n) {
  const date = Date.parse("2022-01-07T22:00:00Z");
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        messageType: "tweet_created",
        id: `bench-${i}`,
        message: `hello world ${i} !`,
        date: new Date(date + i).toISOString(),
        author: `user${i % 89}`,
      }),
    );
  }
  writeFileSync(file, lines.join("\n") + "\n");
}

/** @param {{ cli: Function, timed: Function, report: Function }} ctx */
export async function run({ cli, timed, report }) {
  const cluster = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-cluster-"));
  try {
    const env = { NATS_URL: cluster.servers };
    const url = cluster.servers.split(",")[0] ?? cluster.servers;
    const file = join(dir, "events.ndjson");
    eventsFile(file, EVENTS);
    /**
     * @template {{ code: number | null, stderr: string }} T
     * @param {T} r @param {string} what @returns {T}
     */
    const ok = (r, what) => {
      if (r.code !== 0) throw new Error(`${what}: exit ${r.code} ${r.stderr}`);
      return r;
    };
    /** @param {string[]} args @param {string} [stdoutFile] */
    const mine = async (args, stdoutFile) =>
      ok(
        await cli(args, { env, measureMemory: true, ...(stdoutFile ? { stdoutFile } : {}) }),
        `tweetstream ${args.join(" ")}`,
      );
    /** @param {string} script @param {string[]} args @param {string} [stdoutFile] */
    const base = async (script, args, stdoutFile) =>
      ok(
        await timed(process.execPath, [baseline(script), url, ...args], {
          measureMemory: true,
          ...(stdoutFile ? { stdoutFile } : {}),
        }),
        script,
      );
    const n = String(EVENTS);
    /**
     * Each case: what it is, the case it is compared with (its index), and one run on a
     * stream (publishing cases each get a fresh one).
     * @type {Array<{ what: string, vs?: number, publishes?: boolean, go: (stream: string, round: number) => Promise<{ ms: number, cpuMs: number | null }> }>}
     */
    const cases = [
      {
        what: "raw nc.publish to one ack inbox (publish-raw.mjs)",
        publishes: true,
        go: (s) => base("publish-raw.mjs", [s, file, "256"]),
      },
      {
        what: "publish --file",
        vs: 0,
        publishes: true,
        go: (s) => mine(["publish", "--stream", s, "--file", file, "--json"]),
      },
      {
        what: "tuned consume, same lines (consume-write.mjs)",
        go: (s) => base("consume-write.mjs", [s, n], join(dir, "base-listen.ndjson")),
      },
      {
        what: "listen --durable --json > file",
        vs: 2,
        go: (s, round) =>
          mine(
            ["listen", "--stream", s, "--durable", `bench${round}`, "--json", "--count", n],
            join(dir, "listen.ndjson"),
          ),
      },
      {
        what: "ordered consumer, same lines (ordered-write.mjs)",
        go: (s) => base("ordered-write.mjs", [s, n], join(dir, "base-view.ndjson")),
      },
      {
        what: "view --json > file",
        vs: 4,
        go: (s) => mine(["view", "--stream", s, "--json"], join(dir, "view.ndjson")),
      },
    ];
    /** @type {Array<Record<string, string | number>>} */
    const rows = [];
    for (const replicas of [1, 3]) {
      /** @param {string} stream */
      const add = async (stream) => {
        await mine(["stream", "add", stream, "--replicas", String(replicas)]);
        await cluster.waitStreamCurrent(stream);
      };
      // what the readers read: the file, published once
      const readStream = `BENCH_R${replicas}`;
      await add(readStream);
      await mine(["publish", "--stream", readStream, "--file", file, "--json"]);
      /** @type {Array<{ ms: number[], cpu: number[] }>} */
      const runs = cases.map(() => ({ ms: [], cpu: [] }));
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, c] of cases.entries()) {
          const stream = c.publishes ? `BENCH_R${replicas}_${round}_${i}` : readStream;
          if (c.publishes) await add(stream);
          const r = await c.go(stream, round);
          runs[i]?.ms.push(r.ms);
          if (r.cpuMs !== null) runs[i]?.cpu.push(r.cpuMs);
          if (c.publishes) await mine(["stream", "rm", stream, "--force"]);
        }
      }
      const ms = runs.map((r) => median(r.ms));
      for (const [i, c] of cases.entries()) {
        const r = /** @type {{ ms: number[], cpu: number[] }} */ (runs[i]);
        const wall = /** @type {number} */ (ms[i]);
        rows.push({
          case: `${c.what}, R${replicas}`,
          events: EVENTS,
          ms: Math.round(wall),
          "events/s": rate(EVENTS, wall),
          "CPU µs/event": r.cpu.length ? ((median(r.cpu) * 1000) / EVENTS).toFixed(1) : "-",
          "vs baseline": c.vs === undefined ? "" : ((ms[c.vs] ?? NaN) / wall).toFixed(2),
        });
      }
    }
    report(rows, `medians of ${ROUNDS} alternating rounds; "vs baseline": its time / ours`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
