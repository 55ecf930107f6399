// The view's writer and its states against an in-memory bucket and a scripted stream:
// a first build, re-applying without counting twice, the hand-off from the writer's own
// reading to memory's, a rebuild after a trim, and the lease's hand-off between instances.

import { describe, expect, it } from "vitest";
import { isHead, isRecordOf, timelineKeys, CURRENT_KEY } from "../../src/serve/timeline/keys.js";
import { LeaseKeeper } from "../../src/serve/timeline/lease.js";
import { TimelineMemory } from "../../src/serve/timeline/memory.js";
import { Writing } from "../../src/serve/timeline/writing.js";
import { TimelineWriter } from "../../src/serve/timeline/writer.js";
import { timelineEvent } from "../../src/events.js";
import { memoryBucket } from "./fakes/memory-bucket.js";
import { scriptedStream, STREAM, stored, tweetsAndLikes } from "./fakes/scripted-stream.js";
import { buildLike, buildTweet } from "../../src/events.js";

const start = { created: "2026-01-01T00:00:00Z", first_seq: 1 };

function writing(
  bucket: ReturnType<typeof memoryBucket>["bucket"],
  messages = tweetsAndLikes(30, 20),
) {
  const stream = scriptedStream(messages);
  const warnings: string[] = [];
  const w = new Writing({
    source: stream.source,
    stream: STREAM,
    bucket,
    namePrefix: "t-",
    warn: (t) => warnings.push(t),
    progress: () => undefined,
    noteDamage: () => false,
    // the records' own machinery: every record written (fresh builds: timeline-fresh-build.test.ts)
    freshBuilds: false,
  });
  return { w, stream, warnings, messages };
}

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A stream with nothing stored (the id index of a fresh build never needs it here). */
const noEvents = async () => null;

describe("the view writer", () => {
  it("a first build: head, totals and records exact", async () => {
    const mem = memoryBucket();
    const { w } = writing(mem.bucket);
    await w.begin(1, start, true);
    expect(w.leadership).toBe("caught-up");
    const head = await mem.bucket.get(timelineKeys(1).head, isHead);
    expect(head?.value).toMatchObject({ cursor: 50, tweets: 30, likes: 20, first_seq: 1 });
    const t1 = await mem.bucket.get(timelineKeys(1).record("t1"), isRecordOf("t1"));
    expect(t1?.value.likes).toBe(20);
    expect(t1?.value.last_seq).toBe(50);
    await w.stop(true);
    expect(w.leadership).toBe("reader");
  });

  it("re-applying events it has counts nothing twice (idempotent by sequence)", async () => {
    const mem = memoryBucket();
    const messages = tweetsAndLikes(5, 5);
    const { w } = writing(mem.bucket, messages);
    await w.begin(1, start, true);
    await w.stop(true);
    // a writer that crashed before its head moved: the same batch again, on a stale head
    const writer = await TimelineWriter.open(
      mem.bucket,
      1,
      {
        stream_created: start.created,
        first_seq: 1,
      },
      { eventAt: noEvents, fresh: false },
    );
    expect(writer.queuedTo).toBe(10);
    for (const m of messages) writer.add(m.seq, timelineEvent(m.subject, m.data));
    await writer.flush({ recent: true });
    writer.close();
    const head = (await mem.bucket.get(timelineKeys(1).head, isHead))?.value;
    expect(head).toMatchObject({ cursor: 10, tweets: 5, likes: 5 });
    // records with last_seq at or past an event keep their counts when it comes again
    const fresh = await TimelineWriter.open(
      mem.bucket,
      2,
      {
        stream_created: start.created,
        first_seq: 1,
      },
      { eventAt: noEvents, fresh: false },
    );
    for (const m of [...messages, ...messages]) fresh.add(m.seq, timelineEvent(m.subject, m.data));
    await fresh.flush({ recent: true });
    fresh.close();
    expect((await mem.bucket.get(timelineKeys(2).head, isHead))?.value).toMatchObject({
      tweets: 5,
      likes: 5,
    });
    expect(
      (await mem.bucket.get(timelineKeys(2).record("t1"), isRecordOf("t1")))?.value.likes,
    ).toBe(5);
  });

  it("several batches, each written while the next is queued: totals and records exact", async () => {
    const mem = memoryBucket();
    // more than two batches of the writer's, with every like on the first tweet
    const { w } = writing(mem.bucket, tweetsAndLikes(3000, 2500));
    await w.begin(1, start, true);
    const head = await mem.bucket.get(timelineKeys(1).head, isHead);
    expect(head?.value).toMatchObject({ cursor: 5500, tweets: 3000, likes: 2500 });
    const t1 = await mem.bucket.get(timelineKeys(1).record("t1"), isRecordOf("t1"));
    expect(t1?.value).toMatchObject({ likes: 2500, last_seq: 5500 });
    expect(t1?.value.liked_by.at(-1)?.author).toBe("u2500");
    const t3000 = await mem.bucket.get(timelineKeys(1).record("t3000"), isRecordOf("t3000"));
    expect(t3000?.value.tweet?.seq).toBe(3000);
    await w.stop(true);
  });

  it("a new tweet's record found stored already (a like before it) is read and kept", async () => {
    const mem = memoryBucket();
    const begin = { stream_created: start.created, first_seq: 1 };
    const like = stored(1, buildLike({ tweetId: "early", author: "fan" }));
    const first = await TimelineWriter.open(mem.bucket, 1, begin, {
      eventAt: noEvents,
      fresh: false,
    });
    first.add(like.seq, timelineEvent(like.subject, like.data));
    await first.flush();
    first.close();
    // another writer, with nothing cached: the tweet is written as new, refused, read, merged
    const tweet = stored(2, buildTweet({ id: "early", message: "hi", author: "me" }));
    const second = await TimelineWriter.open(mem.bucket, 1, begin, {
      eventAt: noEvents,
      fresh: false,
    });
    second.add(tweet.seq, timelineEvent(tweet.subject, tweet.data));
    await second.flush({ recent: true });
    second.close();
    const rec = await mem.bucket.get(timelineKeys(1).record("early"), isRecordOf("early"));
    expect(rec?.value).toMatchObject({ likes: 1, last_seq: 2, tweet: { seq: 2, message: "hi" } });
    const head = await mem.bucket.get(timelineKeys(1).head, isHead);
    expect(head?.value).toMatchObject({ cursor: 2, tweets: 1, likes: 1 });
  });

  it("a record another writer changed since it was cached is read again, never written over", async () => {
    const mem = memoryBucket();
    const begin = { stream_created: start.created, first_seq: 1 };
    const add = (w: TimelineWriter, m: ReturnType<typeof stored>) =>
      w.add(m.seq, timelineEvent(m.subject, m.data));
    const writer = await TimelineWriter.open(mem.bucket, 1, begin, {
      eventAt: noEvents,
      fresh: false,
    });
    add(writer, stored(1, buildTweet({ id: "t", message: "hi", author: "me" })));
    await writer.flush();
    // another writer applies a like the first one has not seen: a new revision of the record
    const key = timelineKeys(1).record("t");
    const theirs = { ...(mem.json(key) as object), likes: 1, last_seq: 3 };
    Object.assign(theirs, {
      liked_by: [{ author: "other", date: "2026-01-01T00:00:00Z", seq: 3 }],
    });
    mem.put(key, JSON.stringify(theirs));
    const writes = mem.writes();
    add(writer, stored(4, buildLike({ tweetId: "t", author: "fan" })));
    await writer.flush();
    // the cached revision was refused: read, the like applied on top of the other writer's
    const after = await mem.bucket.get(key, isRecordOf("t"));
    expect(after?.value).toMatchObject({ likes: 2, last_seq: 4 });
    expect(after?.value.liked_by.map((l) => l.author)).toEqual(["other", "fan"]);
    // and cached as read: the next like is written on that revision at once
    add(writer, stored(5, buildLike({ tweetId: "t", author: "fan2" })));
    await writer.flush({ recent: true });
    writer.close();
    expect((await mem.bucket.get(key, isRecordOf("t")))?.value).toMatchObject({ likes: 3 });
    // stored (a refused write is none): the record read again and the head, twice; the list
    expect(mem.writes() - writes).toBe(5);
    const head = await mem.bucket.get(timelineKeys(1).head, isHead);
    expect(head?.value).toMatchObject({ cursor: 5, tweets: 1, likes: 2 });
  });

  it("a write the bucket refuses for another reason stops the writer before its head moves", async () => {
    const mem = memoryBucket();
    const begin = { stream_created: start.created, first_seq: 1 };
    const refusing = {
      ...mem.bucket,
      writeMany: async (items: Parameters<typeof mem.bucket.writeMany>[0]) => {
        const results = await mem.bucket.writeMany(items.slice(1));
        return [new Error("maximum bytes exceeded"), ...results];
      },
    };
    const writer = await TimelineWriter.open(refusing, 1, begin, {
      eventAt: noEvents,
      fresh: false,
    });
    for (const m of tweetsAndLikes(3, 0)) writer.add(m.seq, timelineEvent(m.subject, m.data));
    await expect(writer.flush()).rejects.toThrow("maximum bytes exceeded");
    expect(() => writer.add(4, null)).toThrow("maximum bytes exceeded");
    writer.close();
    expect((await mem.bucket.get(timelineKeys(1).head, isHead))?.value.cursor).toBe(0);
  });

  it("hands over from its own reading to memory's at the first contiguous message", async () => {
    const mem = memoryBucket();
    const { w, stream, messages } = writing(mem.bucket, tweetsAndLikes(10, 0));
    await w.begin(1, start, true);
    const memory = new TimelineMemory();
    memory.onApplied((a) => w.feed(a));
    const window = memory.reset({
      records: [],
      coversFrom: 0,
      tweets: 10,
      likes: 0,
      countedTo: 10,
      cursor: 10,
    });
    const like = stored(11, buildLike({ tweetId: "t3", author: "z" }));
    messages.push(like);
    await memory.apply(window, like.seq, timelineEvent(like.subject, like.data));
    expect(w.leadership).toBe("fed");
    // the writer's own reading is stopped: one reading of each event
    await until(() => stream.followers[0]!.stopped);
    await until(
      async () => (await mem.bucket.get(timelineKeys(1).head, isHead))?.value.cursor === 11,
    );
    expect((await mem.bucket.get(timelineKeys(1).head, isHead))?.value.likes).toBe(1);
    // memory ahead of the writer (it restarted from another writer's list): start over
    const far = stored(20, buildLike({ tweetId: "t3", author: "y" }));
    memory.reset({ records: [], coversFrom: 0, tweets: 0, likes: 0, countedTo: 0, cursor: 18 });
    await memory.apply(memory.window, far.seq, timelineEvent(far.subject, far.data));
    expect(w.leadership).toBe("reader");
  });

  it("rebuilds a trimmed stream as the next generation, switches to it, drops the old one", async () => {
    const mem = memoryBucket();
    const all = tweetsAndLikes(20, 10);
    const { w } = writing(mem.bucket, all);
    await mem.bucket.write(CURRENT_KEY, { gen: 1 }, 0);
    await w.begin(1, start, true);
    // limits removed the first 15 messages
    const kept = all.filter((m) => m.seq > 15);
    const again = writing(mem.bucket, kept);
    await w.stop(true);
    const next = await again.w.rebuild(1, { created: start.created, first_seq: 16 });
    expect(next).toBe(2);
    expect(again.w.leadership).toBe("caught-up");
    expect(JSON.parse(mem.raw(CURRENT_KEY)!)).toEqual({ gen: 2 });
    const head = (await mem.bucket.get(timelineKeys(2).head, isHead))?.value;
    // t16…t20 and 10 likes of t1 (stored before the trim: the like counts, its tweet is gone)
    expect(head).toMatchObject({ first_seq: 16, cursor: 30, tweets: 5, likes: 10 });
    expect(mem.keys().some((k) => k.startsWith("g1."))).toBe(false);
    await again.w.stop(true);
  });
});

describe("the writer lease", () => {
  it("one holder at a time; a release hands it over at the next renewal", async () => {
    const mem = memoryBucket();
    const a = new LeaseKeeper({ bucket: mem.bucket, owner: "a", noteWrite: () => undefined });
    const b = new LeaseKeeper({ bucket: mem.bucket, owner: "b", noteWrite: () => undefined });
    expect(await a.refresh()).toBe(true);
    expect(await b.refresh()).toBe(false);
    expect(await a.refresh()).toBe(true);
    expect(b.holding).toBe(false);
    await a.release();
    expect(await b.refresh()).toBe(true);
    expect(b.holding).toBe(true);
    // a stopped keeper keeps what it knew, and no longer renews
    expect(a.holding).toBe(true);
  });

  it("a holder that stops renewing loses it after the ttl on the reader's own clock", async () => {
    const mem = memoryBucket();
    let now = 0;
    const clock = () => now;
    const a = new LeaseKeeper({
      bucket: mem.bucket,
      owner: "a",
      noteWrite: () => undefined,
      ttlMs: 5000,
      now: clock,
    });
    const b = new LeaseKeeper({
      bucket: mem.bucket,
      owner: "b",
      noteWrite: () => undefined,
      ttlMs: 5000,
      now: clock,
    });
    expect(await a.refresh()).toBe(true);
    expect(await b.refresh()).toBe(false);
    now = 4_999;
    expect(await b.refresh()).toBe(false);
    now = 5_001;
    expect(await b.refresh()).toBe(true);
    // a, back, finds it taken
    expect(await a.refresh()).toBe(false);
  });

  it("a renewal the bucket refuses is noted and keeps what was known", async () => {
    const mem = memoryBucket();
    const noted: unknown[] = [];
    const a = new LeaseKeeper({ bucket: mem.bucket, owner: "a", noteWrite: (e) => noted.push(e) });
    expect(await a.refresh()).toBe(true);
    const failure = new Error("no room");
    mem.bucket.write = async () => {
      throw failure;
    };
    expect(await a.refresh()).toBe(true);
    expect(noted).toEqual([undefined, failure]);
  });
});
