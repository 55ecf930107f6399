// The view writer's bulk batches (records sent without an ack each, confirmed by the head's
// write with the stream's expected last sequence: src/nats/bucket-writes.ts) against the
// in-memory bucket, whose fake server can lose a write, store a foreign one in between, or
// have a record changed under the writer: every case ends with exactly the records the
// acked way writes.

import { describe, expect, it } from "vitest";
import { buildLike, buildTweet, timelineEvent } from "../../src/events.js";
import { isHead, timelineKeys } from "../../src/serve/timeline/keys.js";
import { TimelineWriter } from "../../src/serve/timeline/writer.js";
import { Writing } from "../../src/serve/timeline/writing.js";
import { memoryBucket } from "./fakes/memory-bucket.js";
import { scriptedStream, STREAM, stored } from "./fakes/scripted-stream.js";

const start = { created: "2026-01-01T00:00:00Z", first_seq: 1 };
const date = new Date("2026-01-01T00:00:00Z");

/**
 * `n` tweets with likes among them: on tweets stored before, on tweets not stored yet (a
 * like before its tweet), the same like twice, a tweet stored twice, and a like on a tweet
 * of the same batch. Deterministic.
 */
function mixedStream(n: number) {
  const out: ReturnType<typeof stored>[] = [];
  let x = 7;
  const rand = (m: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % m);
  const add = (e: Parameters<typeof stored>[1]) => out.push(stored(out.length + 1, e));
  for (let i = 1; i <= n; i++) {
    add(buildTweet({ id: `t${i}`, message: `m${i}`, author: "a", date }));
    if (i % 7 === 0) add(buildLike({ tweetId: `t${i + 3}`, author: `early${i}`, date }));
    if (i % 5 === 0) add(buildLike({ tweetId: `t${i}`, author: "same-batch", date }));
    if (i % 11 === 0) add(buildTweet({ id: `t${i - 2}`, message: "again", author: "b", date }));
    const liked = `t${1 + rand(i)}`;
    add(buildLike({ tweetId: liked, author: `u${rand(50)}`, date }));
    if (i % 13 === 0) add(buildLike({ tweetId: liked, author: "twice", date }));
  }
  return out;
}

/** A first build of `messages` into a fresh bucket; the bucket and its fake server. */
async function build(
  messages: ReturnType<typeof stored>[],
  setup: (mem: ReturnType<typeof memoryBucket>) => void = () => undefined,
) {
  const mem = memoryBucket();
  setup(mem);
  const stream = scriptedStream(messages);
  const w = new Writing({
    source: stream.source,
    stream: STREAM,
    bucket: mem.bucket,
    namePrefix: "t-",
    warn: () => undefined,
    progress: () => undefined,
    noteDamage: () => false,
    // the records' own machinery: every record written (fresh builds: timeline-fresh-build.test.ts)
    freshBuilds: false,
  });
  await w.begin(1, start, true);
  await w.stop(true);
  return mem;
}

/** Every key the view wrote and its value (revisions aside; foreign keys left out). */
function viewOf(mem: ReturnType<typeof memoryBucket>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of mem.keys().sort()) if (!k.startsWith("foreign.")) out[k] = mem.json(k);
  return out;
}

const messages = mixedStream(2000);
let acked: Record<string, unknown> | undefined;
/** What the acked way writes over `messages` (bulk batches not allowed). */
async function ackedView() {
  acked ??= viewOf(await build(messages, (mem) => (mem.server.bulk = false)));
  return acked;
}

/** A writer that has written fifty tweets t0…t49; `batch(id)` adds a like of `id` and 40 tweets. */
async function fiftyTweets() {
  const mem = memoryBucket();
  const begin = { stream_created: start.created, first_seq: 1 };
  const writer = await TimelineWriter.open(mem.bucket, 1, begin, {
    eventAt: noEvents,
    fresh: false,
  });
  let seq = 0;
  const tweet = (id: string) => buildTweet({ id, message: "m", author: "a", date });
  for (let i = 0; i < 50; i++) writer.add(++seq, tweet(`t${i}`));
  await writer.flush();
  const batch = async (likeOf: string) => {
    writer.add(++seq, buildLike({ tweetId: likeOf, author: `fan${seq}`, date }));
    for (let i = 0; i < 40; i++) writer.add(++seq, tweet(`b${seq}`));
    await writer.flush();
  };
  return { mem, writer, batch };
}

/** A stream with nothing stored (the id index of a fresh build never needs it here). */
const noEvents = async () => null;

describe("bulk batches of the view writer", () => {
  it("without faults: the same records as the acked way, every batch confirmed", async () => {
    const mem = await build(messages);
    expect(mem.server.sent).toBeGreaterThan(messages.length / 2);
    expect(mem.bucket.bulkFallbacks).toBe(0);
    const view = viewOf(mem);
    expect(view).toEqual(await ackedView());
    const head = view[timelineKeys(1).head] as { cursor: number; tweets: number };
    expect(head).toMatchObject({ cursor: messages.length, tweets: 2000 });
  });

  it("the acked way writes them one ack each (the comparison is not of two bulk builds)", async () => {
    const mem = await build(messages, (m) => (m.server.bulk = false));
    expect(mem.server.sent).toBe(0);
  });

  it("a write lost on the way: the confirm is refused and the batch written again, exact", async () => {
    const mem = await build(messages, (m) => {
      m.server.unacked = (_key, n) => (n === 700 ? "drop" : undefined);
    });
    expect(mem.bucket.bulkFallbacks).toBe(1);
    expect(viewOf(mem)).toEqual(await ackedView());
  });

  it("a foreign write in the bucket between ours: the fallback, exact", async () => {
    const mem = await build(messages, (m) => {
      m.server.unacked = (_key, n) => (n === 10 || n === 1500 ? "foreign" : undefined);
    });
    expect(mem.bucket.bulkFallbacks).toBe(2);
    expect(viewOf(mem)).toEqual(await ackedView());
    expect(mem.keys().filter((k) => k.startsWith("foreign."))).toHaveLength(2);
  });

  it("a write the client refused at once: the fallback, exact", async () => {
    const mem = await build(messages, (m) => {
      m.server.unacked = (_key, n) => (n === 300 ? "client" : undefined);
    });
    expect(mem.bucket.bulkFallbacks).toBe(1);
    expect(viewOf(mem)).toEqual(await ackedView());
  });

  it("a record changed under the writer before its last ack: its write refused, exact", async () => {
    const mem = memoryBucket();
    const begin = { stream_created: start.created, first_seq: 1 };
    const writer = await TimelineWriter.open(mem.bucket, 1, begin, {
      eventAt: noEvents,
      fresh: false,
    });
    const first = mixedStream(100);
    for (const m of first) writer.add(m.seq, timelineEvent(m.subject, m.data));
    await writer.flush();
    const sentBefore = mem.server.sent;
    expect(sentBefore).toBeGreaterThan(32);
    // another writer stores t1 again (its likes included), then an acked write of ours: the
    // change to t1 is before the writer's last ack, so the next batch is one write short
    const key = timelineKeys(1).record("t1");
    const t1 = mem.json(key) as { likes: number };
    mem.put(key, JSON.stringify(t1));
    await mem.bucket.write("lease", { owner: "me" }, 0);
    let seq = first.length;
    const next = [buildLike({ tweetId: "t1", author: "late", date })];
    for (let i = 1; i <= 60; i++) next.push(buildTweet({ id: `n${i}`, message: "x", author: "c" }));
    for (const e of next) writer.add(++seq, e);
    await writer.flush({ recent: true });
    writer.close();
    expect(mem.server.sent).toBeGreaterThan(sentBefore);
    expect(mem.bucket.bulkFallbacks).toBe(1);
    expect((mem.json(key) as { likes: number }).likes).toBe(t1.likes + 1);
    const head = await mem.bucket.get(timelineKeys(1).head, isHead);
    expect(head?.value.cursor).toBe(seq);
    expect(mem.json(timelineKeys(1).record("n60"))).toMatchObject({ tweet: { seq } });
  });

  it("a second writer's older record over a batch's key at the sequence ours would have had: counting cannot see it, the next write of the key mends it", async () => {
    const { mem, writer, batch } = await fiftyTweets();
    const key = timelineKeys(1).record("t1");
    mem.server.unacked = (k) => (k === key ? "rival" : undefined);
    await batch("t1");
    mem.server.unacked = undefined;
    expect(mem.bucket.bulkFallbacks).toBe(0);
    expect((mem.json(key) as { likes: number }).likes).toBe(0);
    // its revision is the one predicted for ours: the next write goes over it, both likes in
    await batch("t1");
    writer.close();
    expect((mem.json(key) as { likes: number }).likes).toBe(2);
  });

  it("a second writer's older record over one of ours after the writer's last ack: its next write finds it behind, damage", async () => {
    const { mem, writer, batch } = await fiftyTweets();
    const key = timelineKeys(1).record("t1");
    const older = mem.raw(key)!;
    await batch("t1");
    expect((mem.json(key) as { likes: number }).likes).toBe(1);
    // after the writer's last ack: the next batch's count adds up (its write of t1 refused)
    mem.put(key, older);
    await batch("t1");
    expect(mem.bucket.bulkFallbacks).toBe(0);
    expect((mem.json(key) as { likes: number }).likes).toBe(0);
    // the write after it finds the record behind what was written: damage (a new generation)
    await expect(batch("t1")).rejects.toThrow(
      /holds events up to 2, \d+ was written: a write was lost/,
    );
    writer.close();
  });

  it("the confirm: stored where predicted, or refused by the server with the head as it was", async () => {
    const mem = memoryBucket();
    const headRev = await mem.bucket.write("head", { n: 0 }, 0);
    const items = ["a", "b", "c"].map((key) => ({ key, value: { key }, revision: 0 }));
    const ok = await mem.bucket.writeBulk(items, {
      key: "head",
      value: { n: 1 },
      revision: headRev,
    });
    expect(await ok!.confirmed).toBe(true);
    expect(ok!.revisions).toEqual([headRev + 1, headRev + 2, headRev + 3]);
    expect(ok!.head).toBe(headRev + 4);
    expect(await mem.bucket.get("b", () => undefined)).toEqual({
      value: { key: "b" },
      revision: headRev + 2,
    });
    // one of the next batch's writes lost: the server refuses the head (its last sequence is
    // not the one expected), so the head never says the batch is in
    mem.server.unacked = (_key, n) => (n === 4 ? "drop" : undefined);
    const more = ["d", "e", "f"].map((key) => ({ key, value: { key }, revision: 0 }));
    const lost = await mem.bucket.writeBulk(more, {
      key: "head",
      value: { n: 2 },
      revision: ok!.head,
    });
    expect(await lost!.confirmed).toBe(false);
    expect(mem.json("head")).toEqual({ n: 1 });
    expect(mem.bucket.bulkFallbacks).toBe(1);
    // not tried again until an acked write says where the stream ends
    expect(await mem.bucket.writeBulk(more, { key: "head", value: {}, revision: ok!.head })).toBe(
      undefined,
    );
  });

  it("a bucket created again (sequences from 1 again): one batch falls back, then bulk again", async () => {
    const mem = memoryBucket();
    const batch = (n: number) =>
      ["x", "y"].map((k) => ({ key: `${k}${n}`, value: n, revision: 0 }));
    let headRev = await mem.bucket.write("head", { n: 0 }, 0);
    for (let n = 1; n <= 50; n++) {
      const sent = await mem.bucket.writeBulk(batch(n), {
        key: "head",
        value: { n },
        revision: headRev,
      });
      expect(await sent!.confirmed).toBe(true);
      headRev = sent!.head;
    }
    mem.recreate();
    headRev = await mem.bucket.write("head", { n: 0 }, 0);
    expect(headRev).toBe(1);
    // the last answer before (the highest) still stands for where the stream ends: refused
    const stale = await mem.bucket.writeBulk(batch(51), {
      key: "head",
      value: {},
      revision: headRev,
    });
    expect(await stale!.confirmed).toBe(false);
    expect(mem.json("head")).toEqual({ n: 0 });
    // forgotten on the refusal: the acked writes that follow say where it ends
    headRev = await mem.bucket.write("head", { n: 1 }, headRev);
    const again = await mem.bucket.writeBulk(batch(52), {
      key: "head",
      value: { n: 2 },
      revision: headRev,
    });
    expect(await again!.confirmed).toBe(true);
    expect(mem.json("head")).toEqual({ n: 2 });
    expect(mem.bucket.bulkFallbacks).toBe(1);
  });
});
