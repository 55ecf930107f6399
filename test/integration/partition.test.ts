// Network partitions on a real 3-node cluster: every route between two nodes and every client
// link goes through a TCP proxy of the helpers' own (scripts/lib/tcp-proxy.mjs), so a node can
// be cut off with its connections held open and healed. Scenarios: publish --file and
// tweet --count with the stream leader cut off (client attached to it / able to move), the
// minority side, listen --durable with the consumer leader cut off, serve under load on the
// cut-off node. After each: every replica's state read from each node's /jsz and compared,
// every acknowledged write stored exactly once, view either whole or non-zero, listen's
// guarantees. On nats-server < 2.10 what fails because the server's replicas diverged is
// logged as a known server issue with its figures (docs/cluster.md), never passed silently:
// a finding with no divergence behind it fails on every version.
// Skipped with NATS_CLUSTER_TESTS=0.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { unsafeForReplicas } from "../../src/nats/replica-safety.js";
import { runCli, waitFor, cliAgainst, delay } from "../helpers/cli.js";
import { killAll, startCli, type Running } from "../helpers/cli-process.js";
import {
  addR3Stream,
  CLUSTER_LOCK_WAIT_MS,
  startCluster,
  type Cluster,
  type Partition,
} from "../helpers/cluster.js";
import {
  eventsFile as eventsFileIn,
  publishEvents,
  storedCount as storedCountOn,
} from "../helpers/fixtures.js";
import { startServe, type ServeProcess } from "../helpers/serve.js";
import { connectionMoves, FAILOVER_BOUND_MS, writeProbes } from "./failover-writes.js";
import { storedMessages } from "../helpers/stored.js";

const enabled = process.env.NATS_CLUSTER_TESTS !== "0";
/** how long the cut-off side keeps working after the majority elected a new leader */
const HOLD_MS = 3_000;

let cluster: Cluster;
let net: Partition;
let nc: NatsConnection;
let version = "?";
let oldServer = false;
let serve: ServeProcess | undefined;
const knownIssues: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "ts-partition-"));

const cli = cliAgainst(() => cluster.servers);
/** the CLI against the cluster, or against `url` (one node, through its proxy) */
const ts = (args: string[], url?: string) => cli.ts(args, url ? { env: { NATS_URL: url } } : {});

async function jsz(port: number): Promise<any> {
  const res = await fetch(
    `http://127.0.0.1:${port}/jsz?accounts=true&streams=true&consumers=true`,
    { signal: AbortSignal.timeout(2_000) },
  );
  return res.json();
}

/** The node a client named `name` is connected to, as the nodes' /connz say. */
async function clientNode(name: string): Promise<string | undefined> {
  for (const n of cluster.nodes) {
    const res = await fetch(`http://127.0.0.1:${n.monitorPort}/connz`, {
      signal: AbortSignal.timeout(2_000),
    }).catch(() => undefined);
    const connz = (await res?.json().catch(() => undefined)) as
      { connections?: Array<{ name?: string }> } | undefined;
    if (connz?.connections?.some((c) => c.name === name)) return n.name;
  }
  return undefined;
}

/** One node's copy of a stream (and its consumers) as its own /jsz reports it. */
async function replicaState(port: number, stream: string) {
  const j = await jsz(port);
  for (const acc of j.account_details ?? []) {
    for (const s of acc.stream_detail ?? []) {
      if (s.name !== stream) continue;
      const consumers = (s.consumer_detail ?? []).map(
        (c: any) =>
          `${c.name}:delivered=${c.delivered?.stream_seq},ack_floor=${c.ack_floor?.stream_seq}`,
      );
      return {
        leader: s.cluster?.leader as string | undefined,
        state: `messages=${s.state.messages},bytes=${s.state.bytes},first=${s.state.first_seq},last=${s.state.last_seq}`,
        consumers: consumers.sort().join(" "),
      };
    }
  }
  return undefined;
}

/** Every node's copy: "n1 messages=…" lines, and whether all agree (waits for them to). */
async function compareReplicas(
  stream: string,
  opts: { consumers?: boolean; waitMs?: number } = {},
): Promise<{ agree: boolean; lines: string[] }> {
  // copies that stay apart for 8 s on a server known to diverge are reported as diverged (CI
  // time); a newer server gets 20 s to bring a copy up to date
  const deadline = Date.now() + (opts.waitMs ?? (oldServer ? 8_000 : 20_000));
  for (;;) {
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const n of cluster.nodes) {
      const r = await replicaState(n.monitorPort, stream).catch(() => undefined);
      const text = r ? `${r.state}${opts.consumers ? ` ${r.consumers}` : ""}` : "missing";
      lines.push(`${n.name} ${text}`);
      seen.add(text);
    }
    if (seen.size === 1 && !seen.has("missing")) return { agree: true, lines };
    if (Date.now() > deadline) return { agree: false, lines };
    await delay(250);
  }
}

/** The leader of a stream (or a consumer) as the given nodes see it. */
async function leaderAmong(
  names: string[],
  stream: string,
  consumer?: string,
): Promise<string | undefined> {
  for (const name of names) {
    const j = await jsz(cluster.node(name).monitorPort).catch(() => undefined);
    for (const acc of j?.account_details ?? []) {
      for (const s of acc.stream_detail ?? []) {
        if (s.name !== stream) continue;
        const group = consumer
          ? (s.consumer_detail ?? []).find((c: any) => c.name === consumer)
          : s;
        const leader = group?.cluster?.leader;
        if (leader && names.includes(leader)) return leader;
      }
    }
  }
  return undefined;
}

/**
 * Cuts `node` off from its peers (connections held open) until the others have elected a
 * leader of the group among themselves, then HOLD_MS more, then heals. The new leader's name.
 */
async function cutOff(node: string, stream: string, consumer?: string): Promise<string> {
  const others = cluster.nodes.map((n) => n.name).filter((n) => n !== node);
  net.isolate(node);
  try {
    const elected = await waitFor(
      () => leaderAmong(others, stream, consumer),
      30_000,
      `a leader among ${others.join(", ")}`,
    );
    await delay(HOLD_MS);
    return elected as string;
  } finally {
    net.heal();
  }
}

async function newR3Stream(prefix: string): Promise<string> {
  const { stream, add } = await addR3Stream(cluster, ts, prefix);
  // the one line about servers not safe for replicas: on old servers only
  if (oldServer) expect(add.stderr).toContain(`nats-server ${version} is older than 2.10`);
  else expect(add.stderr).not.toContain("is older than");
  return stream;
}

const storedCount = (stream: string) => storedCountOn(nc, stream);
const eventsFile = (name: string, n: number) => eventsFileIn(dir, name, n);

/** The tweets the stream holds, by id: how many times each (read through the stream leader). */
async function storedIds(stream: string): Promise<Map<string, number>> {
  const stored = await waitFor(
    () => storedMessages(cluster.nodes[0]!.url, stream).catch(() => undefined),
    30_000,
    `the messages of ${stream}`,
  );
  const counts = new Map<string, number>();
  for (const m of stored!) {
    const e = JSON.parse(m.data) as { id: string; messageType?: string };
    if (e.messageType !== "tweet_liked") counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
  }
  return counts;
}

/** Findings about acknowledged ids: each stored exactly once. */
function onceEach(acked: string[], stored: Map<string, number>): string[] {
  const missing = acked.filter((id) => !stored.has(id));
  const doubled = [...stored].filter(([, n]) => n > 1).map(([id]) => id);
  const out: string[] = [];
  if (missing.length > 0)
    out.push(`${missing.length} acknowledged not stored (e.g. ${missing.slice(0, 3).join(", ")})`);
  if (doubled.length > 0)
    out.push(`${doubled.length} stored twice (e.g. ${doubled.slice(0, 3).join(", ")})`);
  return out;
}

/** view attached to each node: every message the stream announced, or a non-zero exit. */
async function viewFindings(stream: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of cluster.nodes) {
    const url = net.clientUrl(n.name);
    const info = await ts(["stream", "info", stream, "--json"], url);
    const announced = info.code === 0 ? (info.json().state.messages as number) : undefined;
    const r = await ts(["view", stream, "--json"], url);
    const printed = r.stdout.split("\n").filter(Boolean).length;
    if (r.code === 0 && announced !== undefined && printed !== announced)
      out.push(`view via ${n.name} printed ${printed} of ${announced} and exited 0`);
  }
  return out;
}

/**
 * The scenario's verdict: no findings, or (on a server < 2.10 whose replicas diverged) a
 * known server issue, logged with its figures.
 */
function judge(
  scenario: string,
  findings: string[],
  replicas: { agree: boolean; lines: string[] },
) {
  if (!replicas.agree) findings.unshift(`replicas differ: ${replicas.lines.join(" | ")}`);
  if (findings.length === 0) return;
  if (oldServer && !replicas.agree) {
    const line = `known server issue (nats-server ${version} < 2.10, replicas diverged under a partition): ${scenario}: ${findings.join("; ")}`;
    console.warn(line);
    knownIssues.push(line);
    return;
  }
  expect(findings, scenario).toEqual([]);
}

/** A bulk run's own findings: exit 0, every event acknowledged. */
async function bulkFindings(run: Running, n: number): Promise<string[]> {
  const code = await run.exited;
  if (code !== 0) return [`exited ${code}: ${run.stderr().slice(-400)}`];
  const summary = JSON.parse(run.stdout());
  if (summary.failed !== 0 || summary.published + summary.duplicates !== n)
    return [`summary ${JSON.stringify(summary)}`];
  return [];
}

/** After a bulk run: its exit and summary, the copies compared, each id stored once; judged. */
async function judgeBulk(
  scenario: string,
  run: Running,
  stream: string,
  ids: string[],
  more: () => Promise<string[]> = async () => [],
): Promise<void> {
  const findings = await bulkFindings(run, ids.length);
  const replicas = await compareReplicas(stream);
  findings.push(...onceEach(findings.length === 0 ? ids : [], await storedIds(stream)));
  findings.push(...(await more()));
  judge(scenario, findings, replicas);
}

describe.skipIf(!enabled)("partitions on a 3-node cluster behind proxies", { retry: 0 }, () => {
  beforeAll(async () => {
    cluster = await startCluster({ proxied: true });
    net = cluster.partition!;
    nc = await connect({ servers: cluster.servers.split(","), maxReconnectAttempts: -1 });
    version = nc.info?.version ?? "?";
    oldServer = unsafeForReplicas(version);
    // the other cluster file may hold the machine's one cluster first
  }, CLUSTER_LOCK_WAIT_MS + 150_000);
  afterAll(async () => {
    if (knownIssues.length > 0)
      console.warn(`${knownIssues.length} known server issue(s) on nats-server ${version}`);
    await nc?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    killAll();
    await serve?.stop("SIGKILL");
    serve = undefined;
    net.heal();
    await cluster.metaLeader();
  }, 60_000);

  it("stream add, info and ls say it when a replicated stream is on a server older than 2.10", async () => {
    const stream = await newR3Stream("PSAFE"); // stream add's warning checked there
    const info = await ts(["stream", "info", stream]);
    const json = await ts(["stream", "info", stream, "--json"]);
    const ls = await ts(["stream", "ls"]);
    for (const r of [info, json, ls]) expect(r.code, r.stderr).toBe(0);
    expect(json.json().config.name).toBe(stream); // stdout stays JSON
    const line = `nats-server ${version} is older than 2.10`;
    if (oldServer) {
      expect(info.stdout).toMatch(new RegExp(`Warning\\S*: ${line.replace(/\./g, "\\.")}`));
      expect(json.stderr).toContain(line);
      expect(ls.stderr).toContain(line);
      expect(ls.stderr).toMatch(new RegExp(`replicated here: .*${stream}`));
    } else {
      for (const r of [info, json, ls]) expect(r.stdout + r.stderr).not.toContain("is older than");
    }
  }, 60_000);

  it("publish --file attached to the stream leader, which is cut off", async () => {
    const stream = await newR3Stream("PPUB");
    const n = 3_000;
    const leader = await cluster.streamLeader(stream);
    // attached to the isolated node only (its routes cut, not the client's link), the run rides
    // out the whole partition: the election on the other side, HOLD_MS, the heal. Its retry
    // budget (3 × --timeout) must outlast that: with the default (5 s, a 15 s budget) a slow
    // election on a busy machine made it exit 6 as documented (once, Node 26 + 2.15.1 in CI)
    const run = startCli(
      [
        "publish",
        "--stream",
        stream,
        "--file",
        eventsFile(stream, n),
        "--json",
        "--timeout",
        "10s",
      ],
      {
        url: net.clientUrl(leader),
      },
    );
    await waitFor(async () => (await storedCount(stream)) >= n / 5, 60_000, `${n / 5} stored`);
    await cutOff(leader, stream);
    const ids = Array.from({ length: n }, (_, i) => `${stream}-${i}`);
    await judgeBulk("publish --file, attached leader cut off", run, stream, ids, () =>
      viewFindings(stream),
    );
  }, 120_000);

  it("tweet --count able to move, the stream leader cut off", async () => {
    const stream = await newR3Stream("PTW");
    const n = 2_000;
    const leader = await cluster.streamLeader(stream);
    const run = startCli(
      [
        "tweet",
        "hello {{n}}",
        "--count",
        String(n),
        "--id",
        "t-{{n}}",
        "--stream",
        stream,
        "--json",
      ],
      { url: net.servers },
    );
    await waitFor(async () => (await storedCount(stream)) >= n / 5, 60_000, `${n / 5} stored`);
    await cutOff(leader, stream);
    const ids = Array.from({ length: n }, (_, i) => `t-${i + 1}`);
    await judgeBulk("tweet --count, leader cut off, client able to move", run, stream, ids);
  }, 120_000);

  it("tweet --count attached to a follower on the minority side", async () => {
    const stream = await newR3Stream("PMIN");
    const n = 1_500;
    const leader = await cluster.streamLeader(stream);
    const follower = cluster.nodes.map((x) => x.name).find((x) => x !== leader)!;
    // cut off before the run starts: every write goes through the minority side first
    net.isolate(follower);
    const run = startCli(
      [
        "tweet",
        "hello {{n}}",
        "--count",
        String(n),
        "--id",
        "m-{{n}}",
        "--stream",
        stream,
        "--json",
        // a 30 s retry budget: the default 15 s ran out (exit 6, no responders) on a loaded
        // 2-core machine before the leader saw the follower fall behind, which the cut waits for
        "--timeout",
        "10s",
      ],
      { url: net.clientUrl(follower) },
    );
    // the minority cannot store: what was sent waits (or is retried) until healed; healed once
    // the leader sees the follower fall behind, or after 20 s at most, well inside the 30 s
    // retry budget this run gets (on a busy machine the leader may take longer to notice)
    try {
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        const j = await jsz(cluster.node(leader).monitorPort).catch(() => undefined);
        const s = (j?.account_details ?? [])
          .flatMap((acc: any) => acc.stream_detail ?? [])
          .find((x: any) => x.name === stream);
        const r = (s?.cluster?.replicas ?? []).find((x: any) => x.name === follower);
        if (r && (!r.current || r.offline)) break;
        await delay(200);
      }
    } finally {
      net.heal();
    }
    const ids = Array.from({ length: n }, (_, i) => `m-${i + 1}`);
    await judgeBulk("tweet --count on the minority side", run, stream, ids);
  }, 120_000);

  it("listen --durable attached to the consumer leader, which is cut off", async () => {
    const stream = await newR3Stream("PLIS");
    const total = 2_000;
    await publishEvents(cluster.nodes[0]!.url, stream, total);
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(stream, {
      durable_name: "part",
      ack_policy: AckPolicy.Explicit,
      ack_wait: 3_000 * 1_000_000,
    });
    const leader = await cluster.consumerLeader(stream, "part");
    const args = ["listen", "--stream", stream, "--durable", "part", "--ack-wait", "3s", "--json"];
    const run = startCli([...args, "--count", String(total)], {
      slowMs: 30,
      url: net.clientUrl(leader),
    });
    const lines = () => run.stdout().split("\n").filter(Boolean);
    await waitFor(() => lines().length >= 400, 60_000, "400 events printed");
    await cutOff(leader, stream, "part");
    const findings: string[] = [];
    const code = await run.exited;
    if (code !== 0) findings.push(`listen exited ${code}: ${run.stderr().slice(-400)}`);
    const seqs = lines().map((l) => JSON.parse(l).seq as number);
    if (new Set(seqs).size !== seqs.length) findings.push("a sequence printed twice in one run");
    if (code === 0 && seqs.length !== total) findings.push(`printed ${seqs.length} of ${total}`);
    const replicas = await compareReplicas(stream, { consumers: true });
    // the next run, after more than the ack wait: nothing comes again after a clean exit 0,
    // unless the first run warned that its ack floor went back (naming what may come again)
    const next = await runCli([...args, "--timeout", "4s"], { env: { NATS_URL: cluster.servers } });
    const again = next.stdout.split("\n").filter(Boolean);
    const warned = /ack floor of consumer part went back/.test(run.stderr());
    if (again.length > 0)
      findings.push(
        `${again.length} delivered again after exit 0 (the first run ${warned ? "warned" : "did not warn"})`,
      );
    judge("listen --durable, consumer leader cut off", findings, replicas);
  }, 120_000);

  it("serve whose view is held behind (its node's link cut) answers a like of a new tweet 503, never 404", async () => {
    const stream = await newR3Stream("PVIEW");
    const leader = await cluster.streamLeader(stream);
    const held = cluster.nodes.map((x) => x.name).find((x) => x !== leader)!;
    // serve B reads through `held` alone; serve A writes through the others
    serve = await startServe(["--stream", stream, "--timeout", "1s"], {
      NATS_URL: net.clientUrl(held),
    });
    const writer = await startServe(["--stream", stream], { NATS_URL: cluster.servers });
    try {
      const first = await fetch(`${writer.url}/tweets`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: "before", author: "p" }),
      });
      expect(first.status).toBe(201);
      // B's link: nothing comes back from its node, so its view stands still
      net.cutClient(held);
      const res = await fetch(`${writer.url}/tweets`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: "while B is behind", author: "p" }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const like = () =>
        fetch(`${serve!.url}/tweets/${encodeURIComponent(id)}/likes`, {
          method: "POST",
          signal: AbortSignal.timeout(30_000),
        });
      const behind = await like();
      expect(behind.status, `${await behind.text()} ${serve.stderr()}`).toBe(503);
      expect(behind.headers.get("retry-after")).toBe("1");
      net.heal();
      // once B has read that far: 202; until then 503, never 404
      const statuses: number[] = [];
      await waitFor(
        async () => {
          const r = await like();
          statuses.push(r.status);
          return r.status === 202;
        },
        40_000,
        "the like through B accepted",
      );
      expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
    } finally {
      net.heal();
      await writer.stop("SIGKILL");
    }
  }, 120_000);

  it("serve's own node cut off, its links held open and silent: writes answered 201 again within 3 s (bound 5 s), each stored once", async () => {
    const stream = await newR3Stream("PFAIL");
    // every node's proxied URL (the servers do not advertise others): the client picks one
    // JSON log: when serve lost its node and where it went, for the report below
    serve = await startServe(
      ["--stream", stream, "--log-format", "json"],
      { NATS_URL: net.servers },
      60_000,
    );
    const own = (await waitFor(() => clientNode("tweetstream"), 10_000, "serve's node"))!;
    // not the stream leader: what is measured is the client leaving a silent node
    await waitFor(
      async () => {
        if ((await cluster.streamLeader(stream)) !== own) return true;
        await nc
          .request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 2_000 })
          .catch(() => undefined);
        return false;
      },
      30_000,
      `a leader of ${stream} other than ${own}`,
    );
    const writes = writeProbes(serve.url);
    expect(await writes.sequential(5)).toEqual([201, 201, 201, 201, 201]);
    // the cut isolates serve's node from the meta leader too when it is that leader
    const meta = await cluster.metaLeader();
    // TCP still connects and stays open; nothing comes back, from the client link or the routes
    net.isolate(own);
    net.cutClient(own);
    const cutAt = performance.now();
    const cutWall = Date.now();
    let firstMs: number;
    try {
      firstMs = await writes.untilWritable(cutAt);
    } finally {
      net.heal();
    }
    const nodeOf = (server: string) =>
      cluster.nodes.find((n) => net.clientUrl(n.name).endsWith(`:${server.split(":").pop()}`))
        ?.name ?? server;
    const report =
      `first 201 ${Math.round(firstMs)} ms after serve's node was cut off (${own}; ` +
      `nats-server ${version}; meta leader ${meta}; ${connectionMoves(serve.stderr(), cutWall, nodeOf)})`;
    console.log(`failover (partition): ${report}`);
    if (process.env.CLUSTER_DEBUG) console.log(writes.timeline(cutAt), serve.stderr());
    expect(firstMs, `${report}\n${writes.timeline(cutAt)}`).toBeLessThan(FAILOVER_BOUND_MS);
    expect(writes.probes.filter((p) => p.status === 0)).toEqual([]);
    const created = writes.probes.filter((p) => p.status === 201).map((p) => p.id!);
    const replicas = await compareReplicas(stream);
    judge("serve's node cut off", onceEach(created, await storedIds(stream)), replicas);
  }, 120_000);

  it("serve under load on the cut-off stream leader: every 201 stored once, likes never 404", async () => {
    const stream = await newR3Stream("PSRV");
    const leader = await cluster.streamLeader(stream);
    serve = await startServe(["--stream", stream], { NATS_URL: net.clientUrl(leader) }, 60_000);
    const created: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const res = await fetch(`${serve!.url}/tweets`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ message: `w${w} ${i}`, author: "p" }),
          signal: AbortSignal.timeout(20_000),
        }).catch(() => undefined);
        if (!res) continue;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const body = (await res.json().catch(() => ({}))) as { id?: string };
        if (res.status === 201 && body.id) created.push(body.id);
        else await delay(100);
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    await waitFor(() => created.length >= 50, 30_000, "50 tweets created");
    await cutOff(leader, stream);
    await waitFor(() => created.length >= 50 + 20, 60_000, "writes resumed after the heal");
    stop = true;
    await load;
    const findings: string[] = [];
    // a like of every tweet answered 201: stored, so 202, or 503 while not known yet; never 404
    const likes = new Map<string, number>();
    for (const id of created.slice(-10)) {
      const res = await fetch(`${serve.url}/tweets/${encodeURIComponent(id)}/likes`, {
        method: "POST",
        signal: AbortSignal.timeout(20_000),
      });
      if (res.status === 404) findings.push(`like of ${id} (answered 201) got 404`);
      if (res.status === 202) likes.set(id, (likes.get(id) ?? 0) + 1);
    }
    const replicas = await compareReplicas(stream);
    const stored = await storedIds(stream);
    findings.push(...onceEach(created, stored));
    // like counts the page shows = a recount of the stream
    const recount = new Map<string, number>();
    for (const m of await storedMessages(cluster.nodes[0]!.url, stream)) {
      const e = JSON.parse(m.data);
      if (e.messageType === "tweet_liked") recount.set(e.id, (recount.get(e.id) ?? 0) + 1);
    }
    for (const id of likes.keys()) {
      const got = await waitFor(
        async () => {
          const r = await fetch(`${serve!.url}/tweets/${encodeURIComponent(id)}`);
          const t = r.status === 200 ? ((await r.json()) as { likes: number }) : undefined;
          return t && t.likes === (recount.get(id) ?? 0) ? t : undefined;
        },
        10_000,
        `the like count of ${id}`,
      ).catch(() => undefined);
      if (!got) findings.push(`like count of ${id} differs from the recount ${recount.get(id)}`);
    }
    console.log(
      `serve on the cut-off leader (nats-server ${version}): ${created.length} created, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    judge("serve on the cut-off stream leader", findings, replicas);
  }, 150_000);
});
