// Throughput on a cluster: bulk publish (`publish --file`) and `listen --durable --json`
// into a file, on an R1 and an R3 stream of the same throwaway local 3-node cluster in the
// same run, so that the cost of replication reads directly as the R3/R1 ratio. (The
// runner's single server is not used.) BENCH_CLUSTER_EVENTS changes the size (20 000).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster } from "../lib/nats-cluster.mjs";

export const name = "cluster";

const EVENTS = Number(process.env.BENCH_CLUSTER_EVENTS ?? 20_000);

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

/** @param {{ cli: Function, report: Function }} ctx */
export async function run({ cli, report }) {
  const cluster = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-bench-cluster-"));
  try {
    const env = { NATS_URL: cluster.servers };
    const file = join(dir, "events.ndjson");
    eventsFile(file, EVENTS);
    /** @param {string[]} args @param {string} [stdoutFile] */
    const mine = async (args, stdoutFile) => {
      const r = await cli(args, { env, ...(stdoutFile ? { stdoutFile } : {}) });
      if (r.code !== 0)
        throw new Error(`tweetstream ${args.join(" ")}: exit ${r.code} ${r.stderr}`);
      return r;
    };
    /** @type {Record<number, { publish: number, listen: number }>} */
    const ms = {};
    for (const replicas of [1, 3]) {
      const stream = `BENCH_R${replicas}`;
      await mine(["stream", "add", stream, "--replicas", String(replicas)]);
      await cluster.waitStreamCurrent(stream);
      const publish = await mine(["publish", "--stream", stream, "--file", file, "--json"]);
      const listen = await mine(
        ["listen", "--stream", stream, "--durable", "bench", "--json", "--count", String(EVENTS)],
        join(dir, `${stream}.ndjson`),
      );
      ms[replicas] = { publish: publish.ms, listen: listen.ms };
    }
    const r1 = /** @type {{ publish: number, listen: number }} */ (ms[1]);
    const r3 = /** @type {{ publish: number, listen: number }} */ (ms[3]);
    report(
      /** @type {const} */ (["publish", "listen"]).flatMap((what) => [
        {
          case: `${what === "publish" ? "publish --file" : "listen --durable --json > file"}, R1`,
          events: EVENTS,
          ms: Math.round(r1[what]),
          "events/s": rate(EVENTS, r1[what]),
          "R3 / R1": "1.00",
        },
        {
          case: `${what === "publish" ? "publish --file" : "listen --durable --json > file"}, R3`,
          events: EVENTS,
          ms: Math.round(r3[what]),
          "events/s": rate(EVENTS, r3[what]),
          "R3 / R1": (r1[what] / r3[what]).toFixed(2),
        },
      ]),
    );
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
