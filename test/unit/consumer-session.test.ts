// The reader consumer session and the follower built on it, against a scripted in-memory
// server: consumers placed on named nodes, nodes that stop answering, a stream that is
// deleted. No nats-server.
import { describe, expect, it } from "vitest";
import type { Connection } from "../../src/nats/connection.js";
import {
  ConsumerSession,
  natsConsumerServer,
  type ConsumerServer,
  type Pull,
  type ReadMessage,
} from "../../src/nats/consumer-session.js";
import { StreamFollower } from "../../src/nats/follow.js";
import { StallWatch } from "../../src/serve/timeline/stall.js";
import { waitFor } from "../helpers/cli.js";

const noAnswer = () => Object.assign(new Error("no answer"), { code: "TIMEOUT" });
const notFound = () =>
  Object.assign(new Error("consumer not found"), {
    code: "404",
    api_error: { code: 404, err_code: 10014, description: "consumer not found" },
  });

interface FakeConsumer {
  name: string;
  node: string;
  /** the next stream sequence it delivers */
  cursor: number;
  delivered: number;
  /** expiry times of pull requests their reader stopped: the server still serves them */
  held: number[];
  /** deliveries made while requests were held (whose turn it is) */
  turn: number;
}

/**
 * A stream of `count` messages on nodes n1…n3. Each create is placed on the next node of
 * `placements` (default n1); a node in `silent` answers nothing (creates and infos time
 * out, pulls bring nothing). Every request is logged.
 */
function fakeServer(count: number, placements: string[] = []) {
  const log: string[] = [];
  const consumers = new Map<string, FakeConsumer>();
  const silent = new Set<string>();
  const state = {
    streamExists: true,
    left: undefined as string | undefined,
    count,
    /** reads from the stream get no answer */
    getSilent: false,
    /** a create that is answered, this late */
    createDelayMs: 0,
    /** a pull stopped by its reader keeps waiting on the server this long (0: gone with it),
     *  served before newer requests and in turn with them; what it takes nobody reads */
    heldMs: 0,
  };
  /** messages the consumer delivers once and the reader never gets (lost in a reconnect) */
  const lostOnce = new Set<number>();
  const stored = (seq: number) => ({
    stream: "S",
    seq,
    subject: "s",
    time: new Date(0),
    data: new Uint8Array(),
  });
  const server: ConsumerServer = {
    async create(name, from, attemptMs) {
      const fromSeq = from.deliver_policy === "by_start_sequence" ? from.opt_start_seq : 1;
      log.push(`create ${name} @${fromSeq} ${attemptMs}ms`);
      if (!state.streamExists) throw notFound();
      const node = placements.shift() ?? "n1";
      if (silent.has(node)) {
        // no answer: after the attempt's time (a tenth of it here)
        await new Promise((r) => setTimeout(r, attemptMs / 10));
        throw noAnswer();
      }
      if (state.createDelayMs > 0) await new Promise((r) => setTimeout(r, state.createDelayMs));
      const c: FakeConsumer = { name, node, cursor: fromSeq, delivered: 0, held: [], turn: 0 };
      consumers.set(name, c);
      return {
        node,
        handle: {
          pending: Math.max(0, state.count - fromSeq + 1),
          pull: async (max, expiresMs) => pull(c, max, expiresMs),
          consume: async (max, expiresMs) => ({ ...pull(c, max, expiresMs), getPending: () => 0 }),
          stored: (m) => stored(m.seq),
        },
      };
    },
    async info(name) {
      log.push(`info ${name}`);
      // a consumer info on a deleted stream: "stream not found", told as not there
      if (!state.streamExists) return "consumer-gone";
      const c = consumers.get(name);
      if (c && silent.has(c.node)) return "silent";
      return c ? "ok" : "consumer-gone";
    },
    async get(seq) {
      log.push(`get ${seq}`);
      if (state.getSilent) throw noAnswer();
      return seq <= state.count ? stored(seq) : null;
    },
    async streamExists() {
      log.push("stream info");
      return state.streamExists;
    },
    async remove(name) {
      log.push(`remove ${name}`);
      consumers.delete(name);
    },
    leftNode: () => state.left,
  };
  function pull(c: FakeConsumer, max: number, expiresMs: number): Pull {
    let stopped = false;
    return {
      stop() {
        if (!stopped && state.heldMs > 0) c.held.push(Date.now() + state.heldMs);
        stopped = true;
      },
      async *[Symbol.asyncIterator](): AsyncGenerator<ReadMessage> {
        const until = Date.now() + expiresMs;
        let sent = 0;
        while (!stopped && sent < max && Date.now() < until) {
          const live = consumers.get(c.name) === c && !silent.has(c.node);
          if (!live || c.cursor > state.count) {
            await new Promise((r) => setTimeout(r, 2));
            continue;
          }
          const seq = c.cursor++;
          c.delivered++;
          if (lostOnce.delete(seq)) continue;
          c.held = c.held.filter((until) => until > Date.now());
          // the waiting requests in turn, the oldest first: a held one takes it, unread
          if (c.held.length > 0 && c.turn++ % (c.held.length + 1) < c.held.length) continue;
          sent++;
          yield { seq, info: { deliverySequence: c.delivered, pending: state.count - seq } };
        }
      },
    };
  }
  return { server, log, consumers, silent, state, lostOnce, placements };
}

const policy = { attemptMs: (n: number) => [750, 1500, 2000][Math.min(n, 2)]!, budgetMs: 6000 };
const timing = { pullExpiresMs: 30, probeMs: 50, retryPauseMs: 5 };

/** A session opened at 1 on `f` and a follower on it, caught up with the stream's `count`. */
async function following(f: ReturnType<typeof fakeServer>, count: number, p = policy) {
  const session = ConsumerSession.reader(f.server, "R1", p);
  await session.open(1);
  const seen: number[] = [];
  const follower = new StreamFollower(session, {
    fromSeq: 1,
    lastSeq: count,
    stored: count,
    batch: 4,
    onMessage: (m) => void seen.push(m.seq),
    fail: (err) => Object.assign(new Error("stream gone"), { cause: err }),
    timing,
  });
  const run = follower.run();
  run.catch(() => undefined);
  await follower.caughtUp;
  /** stops and resolves with every sequence handed over */
  const stop = async () => {
    follower.stop();
    await run;
    return seen;
  };
  return { session, follower, seen, run, stop };
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("ConsumerSession", () => {
  it("creates again under a fresh name when a create gets no answer, longer each time, and removes the unanswered name", async () => {
    const f = fakeServer(0, ["n3", "n3", "n2"]);
    f.silent.add("n3");
    const session = ConsumerSession.reader(f.server, "R1", policy);
    await session.open(7);
    expect(session.name).toBe("R1-f2");
    expect(session.node).toBe("n2");
    expect(f.log).toEqual([
      "create R1 @7 750ms",
      "remove R1",
      "create R1-f1 @7 1500ms",
      "remove R1-f1",
      "create R1-f2 @7 2000ms",
    ]);
  });

  it("recreates where asked under the next name and removes the previous consumer", async () => {
    const f = fakeServer(0);
    const session = ConsumerSession.reader(f.server, "R1", policy);
    await session.open(1);
    await session.open(42);
    expect(session.name).toBe("R1r1");
    expect(f.log).toEqual(["create R1 @1 750ms", "remove R1", "create R1r1 @42 750ms"]);
    expect([...f.consumers.keys()]).toEqual(["R1r1"]);
  });

  it("probes: ok, consumer gone, stream gone, silent; a consumer on the server the client left is silent without asking", async () => {
    const f = fakeServer(0, ["n1"]);
    const session = ConsumerSession.reader(f.server, "R1", policy);
    await session.open(1);
    expect(await session.probe(50)).toBe("ok");
    f.silent.add("n1");
    expect(await session.probe(50)).toBe("silent");
    f.state.left = "n1";
    f.log.length = 0;
    expect(await session.probe(50)).toBe("silent");
    expect(f.log).toEqual([]);
    f.state.left = undefined;
    f.silent.clear();
    f.consumers.clear();
    expect(await session.probe(50)).toBe("consumer-gone");
    f.state.streamExists = false;
    expect(await session.probe(50)).toBe("stream-gone");
  });
});

describe("ConsumerSession: giving up on a create, and the observed mode", () => {
  it("openWithin: no answer within the limit is undefined; the consumer made later is removed, never taken", async () => {
    const f = fakeServer(3);
    const session = ConsumerSession.reader(f.server, "R1", policy);
    f.state.createDelayMs = 100;
    expect(await session.openWithin(1, 20)).toBeUndefined();
    await waitFor(() => f.log.includes("remove R1"), 5_000, "the late consumer removed");
    expect(session.name).toBe("");
    expect(session.handle).toBeUndefined();
    expect([...f.consumers.keys()]).toEqual([]);
    // the next open is taken, under the next name
    f.state.createDelayMs = 0;
    const handle = await session.openWithin(1, 1_000);
    expect(handle?.pending).toBe(3);
    expect(session.name).toBe("R1r1");
  });

  it("a newer open wins: the consumer of an older one answered later is removed", async () => {
    const f = fakeServer(0);
    const session = ConsumerSession.reader(f.server, "R1", policy);
    f.state.createDelayMs = 100;
    const older = session.open(1);
    older.catch(() => undefined);
    f.state.createDelayMs = 0;
    await session.open(5);
    await expect(older).rejects.toThrow("gave up");
    expect(session.name).toBe("R1r1");
    expect([...f.consumers.keys()]).toEqual(["R1r1"]);
  });

  it("close removes the current consumer and gives up an open in flight", async () => {
    const f = fakeServer(0);
    const session = ConsumerSession.reader(f.server, "R1", policy);
    await session.open(1);
    f.state.createDelayMs = 50;
    const opening = session.open(2);
    opening.catch(() => undefined);
    await session.close();
    await expect(opening).rejects.toThrow("gave up");
    expect(session.name).toBe("");
    expect([...f.consumers.keys()]).toEqual([]);
  });

  it("probes: stream gone only once the stream's own info says so", async () => {
    const f = fakeServer(0);
    const session = ConsumerSession.reader(f.server, "R1", policy);
    await session.open(1);
    f.state.streamExists = false;
    f.log.length = 0;
    expect(await session.probe(50)).toBe("stream-gone");
    expect(f.log).toEqual(["info R1", "stream info"]);
  });

  it("observed (listen's consumers): probed under the name its owner gives, never made, recreated or removed here", async () => {
    const f = fakeServer(0);
    const session = ConsumerSession.observing(f.server, "durable");
    expect(session.mode).toEqual({ kind: "observed" });
    expect(await session.probe(50)).toBe("consumer-gone");
    expect(f.log).toEqual(["info durable", "stream info"]);
    await expect(session.open(1)).rejects.toThrow("observed");
    await session.close();
    expect(f.log.filter((l) => /^(create|remove)/.test(l))).toEqual([]);
    // its owner made a new one (listen's ephemeral): the probe asks after that one
    f.consumers.set("eph2", {
      name: "eph2",
      node: "n1",
      cursor: 1,
      delivered: 0,
      held: [],
      turn: 0,
    });
    session.adopt("eph2");
    f.log.length = 0;
    expect(await session.probe(50)).toBe("ok");
    expect(f.log).toEqual(["info eph2"]);
    expect(() => ConsumerSession.reader(f.server, "R", policy).adopt("x")).toThrow();
  });
});

describe("the probe's one request over nats.js (natsConsumerServer)", () => {
  /** a connection whose consumer info answers with `answer` (a thrown error, or info) */
  const answering = (answer: () => unknown) => {
    const asked: Array<{ timeout: number }> = [];
    const jsm = {
      consumers: {
        info: async () => {
          const a = answer();
          if (a instanceof Error) throw a;
          return a;
        },
      },
    };
    const conn = {
      nc: {
        jetstreamManager: async (opts: { timeout: number }) => {
          asked.push(opts);
          return jsm;
        },
      },
      settings: { timeoutMs: 5_000 },
    } as unknown as Connection;
    return { server: natsConsumerServer(conn, "S"), asked };
  };
  const apiError = (errCode: number) =>
    Object.assign(new Error(String(errCode)), {
      code: "404",
      api_error: { code: 404, err_code: errCode, description: String(errCode) },
    });

  it("answers ok, not there (10014 consumer, 10059 stream not found), silent (no answer); one request of the attempt's time", async () => {
    expect(await answering(() => ({ name: "c" })).server.info("c", 300)).toBe("ok");
    expect(await answering(() => apiError(10014)).server.info("c", 300)).toBe("consumer-gone");
    expect(await answering(() => apiError(10059)).server.info("c", 300)).toBe("consumer-gone");
    const silent = answering(() => noAnswer());
    expect(await silent.server.info("c", 300)).toBe("silent");
    expect(silent.asked.map((o) => o.timeout)).toEqual([300]);
  });

  it("a user who may not ask about consumers gets ok: nothing to go on, nothing to recreate", async () => {
    const denied = Object.assign(new Error("Permissions Violation"), {
      code: "PERMISSIONS_VIOLATION",
    });
    expect(await answering(() => denied).server.info("c", 300)).toBe("ok");
  });
});

describe("StreamFollower on a ConsumerSession", () => {
  it("hands over every message once, in order, and is caught up at the stream's end", async () => {
    const f = fakeServer(10);
    const { follower, seen, stop } = await following(f, 10);
    expect(seen).toEqual(oneToN(10));
    expect(follower.reading).toEqual({ kind: "live" });
    f.state.count = 12;
    await waitFor(() => seen.length === 12, 5_000, "two new messages");
    expect(await stop()).toEqual(oneToN(12));
  });

  it("after a reconnect away from the consumer's node: recreated at the cursor at once, never asking that node", async () => {
    const f = fakeServer(5, ["n1", "n1", "n2"]);
    const { session, follower, seen, stop } = await following(f, 5);
    // n1 stops answering; the client leaves it and reconnects elsewhere
    f.silent.add("n1");
    f.state.left = "n1";
    f.state.count = 8;
    f.log.length = 0;
    follower.reconnected();
    await waitFor(() => seen.length === 8, 5_000, "the messages stored after the move");
    expect(await stop()).toEqual(oneToN(8));
    // no info on R1 (it lives on n1); the first create placed on n1 got no answer
    expect(f.log.filter((l) => l.startsWith("info"))).toEqual([]);
    expect(f.log.filter((l) => l.startsWith("create"))).toEqual([
      "create R1r1 @6 750ms",
      "create R1r1-f1 @6 1500ms",
    ]);
    expect(session.node).toBe("n2");
  });

  it("after a reconnect the consumer still answering is recreated at the cursor: the pull stopped then, still waiting on the server, takes nothing the follower needs", async () => {
    const f = fakeServer(5);
    const { session, follower, seen, stop } = await following(f, 5);
    // the pull in flight at the reconnect keeps waiting on the server (it has not expired)
    f.state.heldMs = 60_000;
    f.log.length = 0;
    follower.reconnected();
    // one message, then nothing: it must be handed over without a later one showing a gap
    f.state.count = 6;
    await waitFor(() => seen.length === 6, 3_000, "the one message stored after the reconnect");
    f.state.count = 9;
    await waitFor(() => seen.length === 9, 3_000, "the messages after it");
    expect(await stop()).toEqual(oneToN(9));
    expect(f.log.filter((l) => l.startsWith("create"))).toEqual(["create R1r1 @6 750ms"]);
    expect(f.log).toContain("remove R1");
    expect(session.name).toBe("R1r1");
  });

  it("while the new consumer's create gets no answer, what the stream stores is read from it and handed over once", async () => {
    const f = fakeServer(3);
    const { session, follower, seen, stop } = await following(f, 3, {
      attemptMs: () => 500,
      budgetMs: 30_000,
    });
    // every create is placed on n1, silent (each gets no answer after 50 ms)
    f.silent.add("n1");
    f.state.left = "n1";
    follower.reconnected();
    await waitFor(() => f.log.includes("create R1r1 @4 500ms"), 5_000, "the first create");
    f.state.count = 6;
    await waitFor(() => seen.length === 6, 5_000, "the messages stored meanwhile");
    expect(session.name).toBe("R1");
    f.placements.push("n2");
    await waitFor(() => session.node === "n2", 10_000, "the consumer on n2");
    f.state.count = 7;
    await waitFor(() => seen.length === 7, 5_000, "a message after the new consumer");
    expect(await stop()).toEqual(oneToN(7));
    expect(session.name).toMatch(/^R1r1-f\d+$/);
  });

  it("a consumer the server removed is recreated at the cursor after an empty pull", async () => {
    const f = fakeServer(3);
    const { session, seen, stop } = await following(f, 3);
    f.consumers.clear();
    f.state.count = 5;
    await waitFor(() => seen.length === 5, 5_000, "the messages after the removal");
    expect(await stop()).toEqual(oneToN(5));
    expect(session.name).toBe("R1r1");
  });

  it("messages lost between pulls (a jump in the delivery sequence) are read from the stream: nothing skipped, no new consumer", async () => {
    const f = fakeServer(8);
    f.lostOnce.add(4).add(5);
    const { stop } = await following(f, 8);
    expect(await stop()).toEqual(oneToN(8));
    expect(f.log.filter((l) => /^(get|create)/.test(l))).toEqual([
      "create R1 @1 750ms",
      "get 4",
      "get 5",
    ]);
  });

  it("a gap the stream does not answer for recreates the consumer at the cursor", async () => {
    const f = fakeServer(8);
    f.lostOnce.add(4);
    f.state.getSilent = true;
    const { stop } = await following(f, 8);
    expect(await stop()).toEqual(oneToN(8));
    expect(f.log).toContain("create R1r1 @4 750ms");
  });

  it("ends with the caller's error when the stream is deleted", async () => {
    const f = fakeServer(2);
    const { follower, run } = await following(f, 2);
    f.state.streamExists = false;
    f.consumers.clear();
    await expect(run).rejects.toThrow("stream gone");
    expect(follower.stopped).toBe(false);
  });
});

describe("a follower standing still while the stream grows (the stall serve's watch catches)", () => {
  it("a callback that never returns holds the follower; the stall watch sees the stream grow past it and a follower from the cursor reads on", async () => {
    const f = fakeServer(3);
    /** memory: the last sequence applied, each sequence once */
    let cursor = 0;
    const applied: number[] = [];
    const apply = (seq: number) => {
      if (seq <= cursor) return;
      cursor = seq;
      applied.push(seq);
    };
    const start = (fromSeq: number, hold?: number) => {
      const session = ConsumerSession.reader(f.server, `R${fromSeq}-`, policy);
      const follower = new StreamFollower(session, {
        fromSeq,
        lastSeq: f.state.count,
        stored: f.state.count,
        batch: 4,
        // the writer's batch that never ends: the follower waits for it, as serve's does
        onMessage: (m) => {
          apply(m.seq);
          return m.seq === hold ? new Promise<void>(() => undefined) : undefined;
        },
        fail: (err) => Object.assign(new Error("stream gone"), { cause: err }),
        timing,
      });
      return { session, follower, opened: session.open(fromSeq).then(() => follower.run()) };
    };
    const first = start(1, 4);
    first.opened.catch(() => undefined);
    await waitFor(() => cursor === 3, 5_000, "the stream read to its end");
    f.state.count = 8;
    await waitFor(() => cursor === 4, 5_000, "message 4 taken, its callback holding on");
    const watch = new StallWatch(() => cursor, Date.now, 50);
    let fired = 0;
    let second: ReturnType<typeof start> | undefined;
    await waitFor(
      () => {
        // writes go on meanwhile
        if (f.state.count < 12) f.state.count++;
        if (watch.stalled(true) && watch.grewPast(f.state.count)) {
          fired++;
          first.follower.stop();
          second = start(cursor + 1);
        }
        return cursor === 12;
      },
      10_000,
      "the stall seen and the stream read on by a new follower",
    );
    expect(fired).toBe(1);
    expect(applied).toEqual(oneToN(12));
    second!.follower.stop();
    await second!.opened;
  });
});
