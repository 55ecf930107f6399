// The same commands on a real 3-node JetStream cluster (R3 streams) through node failures:
// a stream leader killed or paused during a bulk publish, a consumer leader killed under a
// slow listen, the node of an ephemeral listen's consumer killed, the node of view's consumer
// paused mid-read, serve's own node killed,
// readers started with a node down. Each: no acknowledged write lost, nothing stored twice, exit 0, nothing
// delivered again after a clean listen exit. One cluster for the file; each test heals it.
// Skipped with NATS_CLUSTER_TESTS=0 (a few minutes of elections on a slow machine).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli, waitFor, cliAgainst } from "../helpers/cli.js";
import { killAll, startCli, type Running } from "../helpers/cli-process.js";
import {
  addR3Stream,
  CLUSTER_LOCK_WAIT_MS,
  startCluster,
  type Cluster,
} from "../helpers/cluster.js";
import {
  eventsFile as eventsFileIn,
  publishEvents,
  storedCount as storedCountOn,
} from "../helpers/fixtures.js";
import { storedMessages } from "../helpers/stored.js";
import { startServe, type ServeProcess } from "../helpers/serve.js";
import { FAILOVER_BOUND_MS, writeProbes } from "./failover-writes.js";

const enabled = process.env.NATS_CLUSTER_TESTS !== "0";

let cluster: Cluster;
let nc: NatsConnection;
let serve: ServeProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), "ts-cluster-"));

function start(args: string[], opts: { slowMs?: number; url?: string } = {}): Running {
  return startCli(args, {
    url: opts.url ?? cluster.servers,
    ...(opts.slowMs ? { slowMs: opts.slowMs } : {}),
  });
}

const { ts } = cliAgainst(() => cluster.servers);

/** A live node's URL, for the nats.js fixtures (they take one URL). */
const liveUrl = () => cluster.nodes.find((n) => !n.down && !n.paused)!.url;

const newR3Stream = async (prefix: string) => (await addR3Stream(cluster, ts, prefix)).stream;
const storedCount = (stream: string) => storedCountOn(nc, stream);

/** `p`, or a rejection after `ms` (a read that an election left waiting is tried again). */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The bulk run exited 0 with every event acknowledged (newly or as a duplicate), and the
 * stream holds exactly `n` messages, no id twice: nothing acknowledged lost, nothing doubled.
 */
async function expectAllStoredOnce(run: Running, stream: string, n: number): Promise<void> {
  const code = await run.exited;
  expect(code, run.stderr()).toBe(0);
  const summary = JSON.parse(run.stdout());
  expect(summary.failed).toBe(0);
  expect(summary.published + summary.duplicates).toBe(n);
  // read with the lost node still down, message by message (no consumer: nats-server 2.9
  // may place one on the node that is down); tried again if an election leaves a read waiting
  const stored = await waitFor(
    () => withDeadline(storedMessages(liveUrl(), stream), 30_000).catch(() => undefined),
    60_000,
    `the messages of ${stream}`,
  );
  const ids = stored!.map((m) => JSON.parse(m.data).id as string);
  expect(ids.length).toBe(n);
  expect(new Set(ids).size).toBe(n);
}

/** Every POST answered 201 is stored exactly once, and nothing is stored twice, 201 or not. */
async function expectCreatedStoredOnce(
  stream: string,
  answers: Array<{ status: number; id?: string }>,
): Promise<void> {
  const stored = await waitFor(
    () => storedMessages(liveUrl(), stream).catch(() => undefined),
    30_000,
    `the messages of ${stream}`,
  );
  const count = new Map<string, number>();
  for (const m of stored!) {
    const id = JSON.parse(m.data).id as string;
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  for (const a of answers.filter((a) => a.status === 201))
    expect(count.get(a.id!), `201 for ${a.id}`).toBe(1);
  expect([...count.values()].every((n) => n === 1)).toBe(true);
}

/** N distinct complete tweets as an NDJSON file. */
const eventsFile = (name: string, n: number) => eventsFileIn(dir, name, n);

// Each scenario kills or pauses real servers on 2 shared cores; one in a few runs under a loaded
// machine misses a deadline (see docs/cluster.md, "Known gaps"), so a failed scenario is run once
// more, on a healed cluster and a new stream, before it fails the suite.
describe.skipIf(!enabled)("on a 3-node cluster", { retry: 1 }, () => {
  beforeAll(async () => {
    cluster = await startCluster();
    nc = await connect({ servers: cluster.servers.split(","), maxReconnectAttempts: -1 });
    // the other cluster file may hold the machine's one cluster first
  }, CLUSTER_LOCK_WAIT_MS + 150_000);
  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    killAll();
    await serve?.stop("SIGKILL");
    serve = undefined;
    // heal: every node back and current, so the next test starts on a whole cluster
    for (const n of cluster.nodes) {
      if (n.paused) cluster.resume(n.name);
      if (n.down) await cluster.restart(n.name);
    }
    await cluster.metaLeader();
  }, 60_000);

  it("stream leader killed during a 20 000-event publish --file: all stored once, exit 0", async () => {
    const stream = await newR3Stream("CPUB");
    const file = eventsFile(stream, 20_000);
    const run = start(["publish", "--stream", stream, "--file", file, "--json"]);
    await waitFor(async () => (await storedCount(stream)) >= 4_000, 60_000, "4 000 stored");
    const leader = await cluster.streamLeader(stream);
    await cluster.kill(leader);
    await expectAllStoredOnce(run, stream, 20_000);
  }, 120_000);

  it("stream leader killed during tweet --count: all stored once, exit 0", async () => {
    const stream = await newR3Stream("CTW");
    const run = start([
      "tweet",
      "hello {{n}}",
      "--count",
      "10000",
      "--id",
      "t-{{n}}",
      "--stream",
      stream,
      "--json",
    ]);
    await waitFor(async () => (await storedCount(stream)) >= 2_000, 60_000, "2 000 stored");
    await cluster.kill(await cluster.streamLeader(stream));
    await expectAllStoredOnce(run, stream, 10_000);
  }, 120_000);

  it("stream leader paused 15 s during a bulk publish connected to it: all stored once, exit 0", async () => {
    const stream = await newR3Stream("CPAUSE");
    const file = eventsFile(stream, 10_000);
    const leader = await cluster.streamLeader(stream);
    // connected to the leader alone: its publishes wait on a server that does not answer
    const run = start(["publish", "--stream", stream, "--file", file, "--json"], {
      url: cluster.node(leader).url,
    });
    await waitFor(async () => (await storedCount(stream)) >= 2_000, 60_000, "2 000 stored");
    cluster.pause(leader);
    let timer: NodeJS.Timeout | undefined;
    // 15 s, or less if the run ends before (the other nodes elected a leader)
    await Promise.race([run.exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    cluster.resume(leader);
    await expectAllStoredOnce(run, stream, 10_000);
  }, 120_000);

  it("consumer leader killed during listen --durable with a slow reader: each event printed once, nothing redelivered after exit 0", async () => {
    const stream = await newR3Stream("CLIS");
    const total = 4_000;
    await publishEvents(liveUrl(), stream, total);
    // the durable made first, so that listen can be connected to its leader alone (it
    // learns the other nodes from the server) and that node's loss is named
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(stream, {
      durable_name: "slow",
      ack_policy: AckPolicy.Explicit,
      ack_wait: 3_000 * 1_000_000,
    });
    const leader = await cluster.consumerLeader(stream, "slow");
    const args = ["listen", "--stream", stream, "--durable", "slow", "--ack-wait", "3s", "--json"];
    const run = start([...args, "--count", String(total)], {
      slowMs: 40,
      url: cluster.node(leader).url,
    });
    const lines = () => run.stdout().split("\n").filter(Boolean);
    await waitFor(() => lines().length >= 1_000, 60_000, "1 000 events printed");
    await cluster.kill(leader);
    const code = await run.exited;
    expect(code, run.stderr()).toBe(0);
    if (process.env.CLUSTER_DEBUG) console.log(run.stderr());
    const seqs = lines().map((l) => JSON.parse(l).seq as number);
    expect(seqs.length).toBe(total);
    expect(new Set(seqs).size).toBe(total);
    // the next run, after more than the ack wait: nothing comes again
    const next = await runCli([...args, "--timeout", "4s"], {
      env: { NATS_URL: cluster.servers },
    });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toBe("");
    expect(run.stderr()).toContain(`lost the connection to ${leader} (127.0.0.1:`);

    // the lost node is visible: outdated or offline in stream info, marked in stream ls
    const info = await waitFor(
      async () => {
        const r = await ts(["stream", "info", stream]);
        return new RegExp(`Replica: ${leader}, (outdated|current, OFFLINE)`).test(r.stdout)
          ? r
          : undefined;
      },
      40_000,
      `${leader} shown as outdated or offline`,
    );
    expect(info!.stdout).toMatch(/Cluster Information:\n\s+Name: TS\d+\n\s+Leader: n\d/);
    const json = (await ts(["stream", "info", stream, "--json"])).json();
    expect(json.cluster.replicas.map((r: { name: string }) => r.name)).toContain(leader);
    const ls = await ts(["stream", "ls"]);
    expect(ls.stdout).toContain(`replicas not all current: ${stream}: ${leader}`);
  }, 120_000);
  it("listen without --durable goes on when the node holding its (one-replica) consumer is killed", async () => {
    const stream = await newR3Stream("CEPH");
    await publishEvents(liveUrl(), stream, 100);
    const run = start(["listen", "--stream", stream, "--json"]);
    const seqs = () =>
      run
        .stdout()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).seq as number);
    await waitFor(() => seqs().length >= 100, 30_000, "100 events printed");
    const jsm = await nc.jetstreamManager();
    const [consumer] = await jsm.consumers.list(stream).next();
    const host = consumer!.cluster!.leader!;
    await cluster.kill(host);
    await cluster.streamLeader(stream);
    // stored after the loss: the pulls of the old consumer reach no one that answers
    await publishEvents(liveUrl(), stream, 200, { from: 100 });
    await waitFor(() => seqs().length >= 300, 40_000, "the 200 stored after the kill printed");
    process.kill(run.pid, "SIGINT");
    expect(await run.exited, run.stderr()).toBe(130);
    expect(seqs().length).toBe(300);
    expect(new Set(seqs()).size).toBe(300);
    expect(run.stderr()).toContain("the ephemeral consumer no longer answers");
  }, 120_000);

  it("stream info and stream ls right after the meta leader is killed: answered, exit 0", async () => {
    const stream = await newR3Stream("CMETA");
    const meta = await cluster.metaLeader();
    await cluster.kill(meta);
    // a node that is up: the client must not spend the budget on the dead one
    const env = { NATS_URL: liveUrl() };
    const info = await runCli(["stream", "info", stream, "--json"], { env });
    expect(info.code, info.stderr).toBe(0);
    expect(info.json().cluster.name).toBe(cluster.name);
    const ls = await runCli(["stream", "ls", "--json"], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain(stream);
  }, 120_000);

  it("view with the node of its consumer paused 12 s mid-read: every message once, exit 0", async () => {
    const stream = await newR3Stream("CVPAUSE");
    const total = 20_000;
    await publishEvents(liveUrl(), stream, total);
    // a slow reader: the read is still going when the node stops answering
    const run = start(["view", stream, "--json"], { slowMs: 200 });
    const seqs = () =>
      run
        .stdout()
        .split("\n")
        .filter((l) => l.endsWith("}"))
        .map((l) => JSON.parse(l).seq as number);
    await waitFor(() => seqs().length > 0, 30_000, "the first line of view");
    // view's consumer: the in-memory one on the stream (its ordered consumer), not a count probe
    const jsm = await nc.jetstreamManager();
    const ordered = await waitFor(
      async () => {
        for await (const ci of jsm.consumers.list(stream))
          if (ci.config.mem_storage && !ci.name.startsWith("tweetstream-count-")) return ci;
        return undefined;
      },
      10_000,
      "view's consumer",
    );
    const node = ordered!.cluster!.leader!;
    cluster.pause(node);
    let timer: NodeJS.Timeout | undefined;
    // 12 s (the pause), within the 15 s budget; the read would once give up at 10 s
    await Promise.race([run.exited, new Promise((r) => (timer = setTimeout(r, 12_000)))]);
    clearTimeout(timer);
    cluster.resume(node);
    expect(await run.exited, run.stderr()).toBe(0);
    expect(seqs()).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  }, 120_000);

  it("view and serve's replay read a whole R3 stream with its old leader still down", async () => {
    const stream = await newR3Stream("CREAD");
    const total = 2_000;
    await publishEvents(liveUrl(), stream, total);
    const leader = await cluster.streamLeader(stream);
    await cluster.kill(leader);
    await cluster.streamLeader(stream);
    // through each node left: on 2.9 a reader's consumer may be placed on the dead node
    for (const node of cluster.nodes.filter((n) => !n.down)) {
      const r = await runCli(["view", stream, "--json"], { env: { NATS_URL: node.url } });
      expect(r.code, r.stderr).toBe(0);
      const seqs = r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).seq as number);
      expect(new Set(seqs).size, `view through ${node.name}`).toBe(total);
    }
    // the default budget (15 s): its first start creates consumers and the view's bucket
    serve = await startServe(["--stream", stream], { NATS_URL: liveUrl() }, 30_000);
    const res = await fetch(`${serve.url}/events?since=0`, { signal: AbortSignal.timeout(30_000) });
    const reader = res.body!.getReader();
    const ids = new Set<string>();
    let text = "";
    while (ids.size < total) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      for (const m of text.matchAll(/^id: (\d+)$/gm)) ids.add(m[1]!);
    }
    await reader.cancel();
    expect(ids.size).toBe(total);
  }, 120_000);

  it("serve under concurrent POSTs with its own node (the stream leader) killed: every 201 stored once, writes resume", async () => {
    const stream = await newR3Stream("CSRV");
    // connected to the stream leader alone (it learns the others from the cluster): that
    // node is killed, so serve loses its connection and the stream its leader at once
    const own = cluster.node(await cluster.streamLeader(stream));
    serve = await startServe(["--stream", stream, "--timeout", "2s"], { NATS_URL: own.url });
    const url = serve.url;
    const results: Array<{ status: number; id?: string; ms: number }> = [];
    let stop = false;
    const ok = () => results.filter((r) => r.status === 201).length;
    const slowest = () => Math.max(...results.map((r) => r.ms));
    const worker = async (w: number) => {
      // bounded: stops on the flag, and after 3000 requests whatever happens
      for (let i = 0; !stop && results.length < 3000; i++) {
        const t0 = performance.now();
        const res = await fetch(`${url}/tweets`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ message: `w${w} #${i}`, author: `w${w}` }),
          // a request that hangs is a failure, not a hung test
          signal: AbortSignal.timeout(20_000),
        }).catch(() => undefined);
        const body = res ? ((await res.json().catch(() => ({}))) as { id?: string }) : {};
        results.push({ status: res?.status ?? 0, id: body.id, ms: performance.now() - t0 });
      }
    };
    const load = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));
    try {
      await waitFor(() => ok() >= 200, 30_000, "200 tweets before the kill");
      await cluster.kill(own.name);
      const atKill = ok();
      // writes resume (a count, not a rate: after the election they run slower on 2 cores)
      await waitFor(() => ok() >= atKill + 50, 45_000, "50 tweets after the kill");
    } finally {
      stop = true;
      await load;
      if (process.env.CLUSTER_DEBUG) {
        const statuses = new Map<number, number>();
        for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        console.log(
          Object.fromEntries(statuses),
          `slowest ${Math.round(slowest())} ms`,
          serve.stderr(),
        );
      }
    }
    // every POST answered (201, or 503 once the 6 s budget of --timeout 2s ran out), none
    // held much past the budget (measured: at most 6.0 s on 2.9.10, 6.7 s on 2.15.1)
    expect(results.filter((r) => r.status === 0)).toEqual([]);
    expect(slowest()).toBeLessThan(10_000);
    await expectCreatedStoredOnce(stream, results);
    expect(await serve.stop()).toBe(0);
  }, 120_000);
  it("serve's own node paused (SIGSTOP): writes answered 201 again within 3 s (bound 5 s), each stored once", async () => {
    const stream = await newR3Stream("CFAIL");
    // serve's node is not the stream's leader: what is measured is the client leaving a
    // silent node, not a JetStream election (a leader paused with it takes one more election)
    const leader = await cluster.streamLeader(stream);
    const own = cluster.nodes.find((n) => n.name !== leader)!;
    serve = await startServe(["--stream", stream], { NATS_URL: own.url });
    const writes = writeProbes(serve.url);
    expect(await writes.sequential(5)).toEqual([201, 201, 201, 201, 201]);
    cluster.pause(own.name);
    // SIGSTOP is delivered when the kernel gets to it: measured from the node being stopped
    await waitFor(
      () => /^\d+ \(.*\) T/.test(readFileSync(`/proc/${cluster.node(own.name).pid}/stat`, "utf8")),
      5_000,
      `${own.name} stopped`,
    );
    const pausedAt = performance.now();
    let firstMs: number;
    try {
      firstMs = await writes.untilWritable(pausedAt);
    } finally {
      cluster.resume(own.name);
    }
    console.log(
      `failover: first 201 ${Math.round(firstMs)} ms after serve's node was paused (${own.name}; nats-server ${process.env.NATS_SERVER_BIN ?? "from PATH"})`,
    );
    if (process.env.CLUSTER_DEBUG) console.log(writes.timeline(pausedAt), serve.stderr());
    expect(firstMs).toBeLessThan(FAILOVER_BOUND_MS);
    expect(writes.probes.filter((p) => p.status === 0)).toEqual([]);
    await expectCreatedStoredOnce(stream, writes.probes);
    expect(await serve.stop()).toBe(0);
  }, 120_000);
});
