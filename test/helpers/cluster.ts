// A real 3-node JetStream cluster for the cluster and partition tests (launcher shared with the demo
// and the benchmarks in scripts/lib): named nodes n1…n3 on loopback, kill / pause /
// resume / restart by name, stream, consumer and meta leaders looked up from the servers.
//
// One cluster at a time on the machine: vitest runs two files at once, and two 3-node
// clusters (six servers, their clients and proxies) on two cores make the scenarios' deadlines
// a matter of luck. startCluster waits for a lock (a directory in the temp dir naming its
// holder's PID) and cluster.stop() gives it back; a holder that died leaves it to the next.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster as launch } from "../../scripts/lib/nats-cluster.mjs";
import type { Cluster } from "../../scripts/lib/nats-cluster.mjs";
import { waitFor, uniqueStream, type CliResult } from "./cli.js";

export { freePort } from "../../scripts/lib/nats-cluster.mjs";
export type { Cluster, ClusterNode, Partition } from "../../scripts/lib/nats-cluster.mjs";

const LOCK = join(tmpdir(), "tweetstream-test-cluster.lock");
/** Long enough for the other cluster file to finish (about 2 minutes each on 2 cores). */
export const CLUSTER_LOCK_WAIT_MS = 360_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(LOCK, "pid"), "utf8"));
    } catch {
      // just taken, its PID not written yet
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder))
      rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(LOCK, "pid"), String(process.pid));
  return true;
}

function unlock(): void {
  try {
    if (Number(readFileSync(join(LOCK, "pid"), "utf8")) === process.pid)
      rmSync(LOCK, { recursive: true, force: true });
  } catch {
    // not ours, or gone
  }
}

/** Starts a cluster once no other test process runs one; its stop() releases the turn. */
export async function startCluster(opts?: Parameters<typeof launch>[0]): Promise<Cluster> {
  await waitFor(tryLock, CLUSTER_LOCK_WAIT_MS, `the other test cluster to stop (${LOCK})`);
  let cluster: Cluster;
  try {
    cluster = await launch(opts);
  } catch (err) {
    unlock();
    throw err;
  }
  const stop = cluster.stop.bind(cluster);
  cluster.stop = async () => {
    try {
      await stop();
    } finally {
      unlock();
    }
  };
  return cluster;
}

/**
 * `stream add <prefix…> --replicas 3` through `ts` (the CLI against the cluster), once every
 * node holds a current copy; its name and the `stream add` run (its notes on stderr). Right
 * after a cluster (re)started through proxies the meta leader may not know every peer yet:
 * "no suitable peers for placement (10005)" is tried again, for up to 30 s.
 */
export async function addR3Stream(
  cluster: Cluster,
  ts: (args: string[]) => Promise<CliResult>,
  prefix: string,
): Promise<{ stream: string; add: CliResult }> {
  const stream = uniqueStream(prefix);
  let add!: CliResult;
  await waitFor(
    async () => {
      add = await ts(["stream", "add", stream, "--replicas", "3"]);
      return add.code === 0 || !/no suitable peers/.test(add.stderr);
    },
    30_000,
    `stream ${stream} placed on 3 peers`,
  );
  if (add.code !== 0) throw new Error(`stream add ${stream} exited ${add.code}: ${add.stderr}`);
  await cluster.waitStreamCurrent(stream);
  return { stream, add };
}
