// A fresh build (src/serve/timeline/fresh-build.ts): a new generation whose unliked tweets
// get no record, found through the id index (src/serve/timeline/id-index.ts). Every case
// compares what a reader gets (Generations.record, the head, the recent list) with a build
// that writes every record, over the same stream, against the in-memory bucket.

import { describe, expect, it } from "vitest";
import { buildLike, buildTweet, timelineEvent } from "../../src/events.js";
import { Generations } from "../../src/serve/timeline/generations.js";
import { FreshBuild } from "../../src/serve/timeline/fresh-build.js";
import {
  firstCreation,
  idHash,
  IdTable,
  shardCount,
  SHARD_ENTRIES,
} from "../../src/serve/timeline/id-index.js";
import { isHead, timelineKeys } from "../../src/serve/timeline/keys.js";
import { TimelineWriter } from "../../src/serve/timeline/writer.js";
import { Writing } from "../../src/serve/timeline/writing.js";
import { HttpError } from "../../src/serve/http-error.js";
import { memoryBucket } from "./fakes/memory-bucket.js";
import { eventsAt, scriptedStream, STREAM, stored } from "./fakes/scripted-stream.js";

const start = { created: "2026-01-01T00:00:00Z", first_seq: 1 };
const date = new Date("2026-01-01T00:00:00Z");
type Message = ReturnType<typeof stored>;

/** Two ids with the same idHash (found once, by trying). */
const colliding = (() => {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `c${i}`;
    const h = idHash(id);
    const other = seen.get(h);
    if (other) return [other, id] as const;
    seen.set(h, id);
  }
})();

/**
 * `n` tweets and likes: on tweets stored before (spread over the whole stream), before their
 * tweet, twice, on a tweet of the same batch; tweets stored twice; two ids sharing a hash.
 */
function mixedStream(n: number): Message[] {
  const out: Message[] = [];
  let x = 11;
  const rand = (m: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % m);
  const add = (e: Parameters<typeof stored>[1]) => out.push(stored(out.length + 1, e));
  const tweet = (id: string, message = `m${id}`) =>
    add(buildTweet({ id, message, author: "a", date }));
  const like = (id: string, author: string) => add(buildLike({ tweetId: id, author, date }));
  like(colliding[1], "before-its-tweet");
  for (let i = 1; i <= n; i++) {
    tweet(`t${i}`);
    if (i === 40) tweet(colliding[0]);
    if (i === 900) tweet(colliding[1]);
    if (i % 7 === 0) like(`t${i + 3}`, `early${i}`);
    if (i % 5 === 0) like(`t${i}`, "same-batch");
    if (i % 11 === 0) tweet(`t${i - 2}`, "again");
    if (i % 3 === 0) like(`t${1 + rand(i)}`, `u${rand(50)}`);
    if (i % 13 === 0) like(`t${1 + rand(i)}`, "twice");
    if (i === 1500) like(colliding[0], "fan");
  }
  like("never-tweeted", "fan");
  return out;
}

/** A first build of `messages`: fresh, or writing every record. */
async function build(messages: Message[], freshBuilds: boolean) {
  const mem = memoryBucket();
  const stream = scriptedStream(messages);
  const w = new Writing({
    source: stream.source,
    stream: STREAM,
    bucket: mem.bucket,
    namePrefix: "t-",
    warn: () => undefined,
    progress: () => undefined,
    noteDamage: () => false,
    freshBuilds,
  });
  await w.begin(1, start, true);
  await w.stop(true);
  return { mem, stream };
}

/** What a reader of generation 1 gets for every id of `messages`, the head and the list. */
async function readerView(mem: ReturnType<typeof memoryBucket>, messages: Message[]) {
  const gens = new Generations(
    mem.bucket,
    () => undefined,
    () => false,
    eventsAt(messages).eventAt,
  );
  gens.gen = 1;
  const ids = new Set(messages.map((m) => timelineEvent(m.subject, m.data)!.id));
  const records: Record<string, unknown> = {};
  for (const id of [...ids].sort()) records[id] = await gens.record(id);
  const head = (await mem.bucket.get(timelineKeys(1).head, isHead))?.value;
  const { cursor, tweets, likes } = head ?? {};
  return { records, head: { cursor, tweets, likes }, recent: mem.json(timelineKeys(1).recent) };
}

const recordKeys = (mem: ReturnType<typeof memoryBucket>) =>
  mem.keys().filter((k) => k.startsWith("g1.t."));

describe("a fresh build of the view", () => {
  const messages = mixedStream(3000);

  it("reads as a build writing every record does, with far fewer records", async () => {
    const full = await build(messages, false);
    const fresh = await build(messages, true);
    const want = await readerView(full.mem, messages);
    expect(await readerView(fresh.mem, messages)).toEqual(want);
    expect(want.head.tweets).toBeGreaterThan(3000);
    // the first of a tweet stored twice, the like stored before its tweet, a shared hash
    expect(want.records["t9"]).toMatchObject({ tweet: { message: "mt9" } });
    expect(want.records[colliding[1]]).toMatchObject({ likes: 1 });
    expect(want.records["never-tweeted"]).toBeUndefined();
    // a tweet stored once and never liked has no record: the index has it
    const events = messages.map((m) => timelineEvent(m.subject, m.data)!);
    const seen = (id: string) => events.filter((e) => e.id === id).length;
    const plain = events
      .filter((e) => e.messageType === "tweet_created" && seen(e.id) === 1)
      .map((e) => e.id);
    expect(plain.length).toBeGreaterThan(1000);
    const stored = new Set(recordKeys(fresh.mem));
    expect(plain.filter((id) => stored.has(timelineKeys(1).record(id)))).toEqual([]);
    expect(stored.size).toBe(recordKeys(full.mem).length - plain.length);
    const head = (await fresh.mem.bucket.get(timelineKeys(1).head, isHead))!.value;
    expect(head.index?.shards).toBe(shardCount(want.head.tweets!));
    expect(head.building).toBeUndefined();
  });

  it("keeps the stored head where it began until the index is written", async () => {
    const mem = memoryBucket();
    const { eventAt } = eventsAt(messages);
    const begin = { stream_created: start.created, first_seq: 1 };
    const writer = await TimelineWriter.open(mem.bucket, 1, begin, { eventAt });
    for (const m of messages.slice(0, 2000)) writer.add(m.seq, timelineEvent(m.subject, m.data));
    await writer.flush();
    const during = (await mem.bucket.get(timelineKeys(1).head, isHead))!.value;
    expect(during).toMatchObject({ cursor: 0, tweets: 0, likes: 0, building: 2000 });
    expect(mem.json(timelineKeys(1).recent)).toBeUndefined();
    await writer.flush({ recent: true });
    writer.close();
    const after = (await mem.bucket.get(timelineKeys(1).head, isHead))!.value;
    expect(after.cursor).toBe(2000);
    expect(after.building).toBeUndefined();
    expect(after.index?.shards).toBeGreaterThan(0);
  });

  it("a build stopped half-way is caught up by the next writer, every record written, exact", async () => {
    const mem = memoryBucket();
    const { eventAt } = eventsAt(messages);
    const begin = { stream_created: start.created, first_seq: 1 };
    const first = await TimelineWriter.open(mem.bucket, 1, begin, { eventAt });
    // to the end but the index: records of likes only (tweets out of the writer's cache) stored
    for (const m of messages) first.add(m.seq, timelineEvent(m.subject, m.data));
    await first.flush();
    first.close(); // a crash: the index was in memory
    const likesOnly = mem
      .keys()
      .filter((k) => k.startsWith("g1.t.") && !(mem.json(k) as { tweet: unknown }).tweet);
    expect(likesOnly.length).toBeGreaterThan(10);
    const second = await TimelineWriter.open(mem.bucket, 1, begin, { eventAt });
    expect(second.queuedTo).toBe(0);
    for (const m of messages) second.add(m.seq, timelineEvent(m.subject, m.data));
    await second.flush({ recent: true });
    second.close();
    const full = await build(messages, false);
    expect(await readerView(mem, messages)).toEqual(await readerView(full.mem, messages));
    const head = (await mem.bucket.get(timelineKeys(1).head, isHead))!.value;
    expect(head.index).toBeUndefined();
  });

  it("a clean stop half-way writes the index of what it read; the next writer catches up, exact", async () => {
    const mem = memoryBucket();
    const { eventAt } = eventsAt(messages);
    const begin = { stream_created: start.created, first_seq: 1 };
    const half = Math.floor(messages.length / 2);
    const first = await TimelineWriter.open(mem.bucket, 1, begin, { eventAt });
    for (const m of messages.slice(0, half)) first.add(m.seq, timelineEvent(m.subject, m.data));
    await first.flush({ recent: true }); // what a clean stop does
    first.close();
    const stopped = (await mem.bucket.get(timelineKeys(1).head, isHead))!.value;
    expect(stopped.cursor).toBe(half);
    expect(stopped.building).toBeUndefined();
    expect(stopped.index?.shards).toBeGreaterThan(0);
    const second = await TimelineWriter.open(mem.bucket, 1, begin, { eventAt });
    expect(second.queuedTo).toBe(half);
    for (const m of messages) second.add(m.seq, timelineEvent(m.subject, m.data));
    await second.flush({ recent: true });
    second.close();
    const full = await build(messages, false);
    expect(await readerView(mem, messages)).toEqual(await readerView(full.mem, messages));
  });

  it("a tweet stored again after the build keeps its first creation; a like finds its tweet", async () => {
    const later = [
      ...messages,
      stored(messages.length + 1, buildTweet({ id: "t1", message: "later", author: "b", date })),
      stored(messages.length + 2, buildLike({ tweetId: "t2", author: "late", date })),
    ];
    const fresh = await build(messages, true);
    const { eventAt } = eventsAt(later);
    const begin = { stream_created: start.created, first_seq: 1 };
    const writer = await TimelineWriter.open(fresh.mem.bucket, 1, begin, { eventAt });
    for (const m of later) writer.add(m.seq, timelineEvent(m.subject, m.data));
    await writer.flush({ recent: true });
    writer.close();
    const full = await build(later, false);
    const got = await readerView(fresh.mem, later);
    expect(got).toEqual(await readerView(full.mem, later));
    expect(got.records["t1"]).toMatchObject({ tweet: { message: "mt1", seq: 2 } });
  });

  it("an index shard gone missing is damage: a 503, never a tweet said not to exist", async () => {
    const fresh = await build(messages, true);
    const shards = fresh.mem.keys().filter((k) => k.startsWith("g1.i."));
    expect(shards.length).toBeGreaterThan(0);
    await fresh.mem.bucket.purgePrefix("g1.i");
    const noted: unknown[] = [];
    const gens = new Generations(
      fresh.mem.bucket,
      () => undefined,
      () => true,
      eventsAt(messages).eventAt,
    );
    gens.gen = 1;
    const damage = gens.noteDamage.bind(gens);
    gens.noteDamage = (err) => (noted.push(err), damage(err));
    // a tweet nobody liked: only the index knows it
    const unliked = ["t1", "t2", "t3", "t4", "t6"].find(
      (id) => !fresh.mem.keys().includes(timelineKeys(1).record(id)),
    )!;
    await expect(gens.record(unliked)).rejects.toBeInstanceOf(HttpError);
    expect(noted).toHaveLength(1);
  });
});

describe("the id index", () => {
  it("finds each id among the candidates its hash names, by the stream's message", async () => {
    const [a, b] = colliding;
    const msgs = [
      stored(1, buildTweet({ id: a, message: "A", author: "x", date })),
      stored(2, buildLike({ tweetId: b, author: "y", date })),
      stored(3, buildTweet({ id: b, message: "B", author: "x", date })),
      stored(4, buildTweet({ id: a, message: "A again", author: "x", date })),
    ];
    const table = new IdTable();
    table.add(idHash(a), 1);
    table.add(idHash(b), 3);
    table.add(idHash(a), 1);
    expect(table.size).toBe(2);
    expect(table.candidates(idHash(a))).toEqual([1, 3]);
    const { eventAt, read } = eventsAt(msgs);
    expect(await firstCreation(a, [1, 3, 4], eventAt)).toMatchObject({ message: "A", seq: 1 });
    expect(await firstCreation(b, [1, 3], eventAt)).toMatchObject({ message: "B", seq: 3 });
    expect(await firstCreation("other", [1, 3], eventAt)).toBeNull();
    expect(read.count).toBe(5);
  });

  it("grows, and splits into shards of about SHARD_ENTRIES by hash, every entry once", () => {
    const table = new IdTable();
    const n = SHARD_ENTRIES * 3 + 5;
    for (let i = 1; i <= n; i++) table.add(idHash(`t${i}`), i);
    const count = shardCount(table.size);
    expect(count).toBe(4);
    const shards = [...table.shards(count)];
    expect(shards.reduce((sum, s) => sum + s.h.length, 0)).toBe(n);
    for (const [k, s] of shards.entries()) {
      expect(s.h.every((h) => (h & (count - 1)) === k)).toBe(true);
      expect(s.h).toEqual([...s.h].sort((x, y) => x - y));
    }
    for (let i = 1; i <= n; i += 97) expect(table.candidates(idHash(`t${i}`))).toContain(i);
  });

  it("a build past its most tweets writes the records of those after them", () => {
    const head = { stream_created: "x", first_seq: 1, cursor: 0, tweets: 0, likes: 0 };
    const b = new FreshBuild(head, async () => null, 10, 2);
    const rec = (id: string, seq: number) => ({
      id,
      tweet: { message: "m", author: "a", date: "d", seq },
      likes: 0,
      liked_by: [],
      last_seq: seq,
    });
    const created = (seq: number) => [
      { seq, event: buildTweet({ id: `t${seq}`, message: "m", author: "a", date }) },
    ];
    expect(b.needsWrite("k1", rec("t1", 1), created(1), false)).toBe(false);
    expect(b.needsWrite("k2", rec("t2", 2), created(2), false)).toBe(false);
    expect(b.needsWrite("k3", rec("t3", 3), created(3), false)).toBe(true);
    expect(b.index.size).toBe(2);
    // liked, or known before: written
    const b2 = new FreshBuild(head, async () => null, 10);
    expect(b2.needsWrite("k1", { ...rec("t1", 1), likes: 1 }, created(1), false)).toBe(true);
    expect(b2.needsWrite("k2", rec("t2", 2), created(2), true)).toBe(true);
    // a like before its tweet: the tweet's creation reads the record first
    const orphan = { ...rec("t9", 5), tweet: null };
    expect(b2.mayKnow("k9", "t9")).toBe(false);
    expect(b2.needsWrite("k9", orphan, [], false)).toBe(true);
    expect(b2.mayKnow("k9", "t9")).toBe(true);
  });
});
