// The timeline's memory (window, totals, cursor and its "applied" signal), the SSE hub
// that listens to it, and the stall watch: no server.

import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { buildLike, buildTweet, type TweetEvent } from "../../src/events.js";
import { SseHub } from "../../src/serve/sse.js";
import { TimelineMemory, type Applied } from "../../src/serve/timeline/memory.js";
import { StallWatch } from "../../src/serve/timeline/stall.js";

const date = new Date("2026-01-01T00:00:00Z");
const tweet = (id: string) => buildTweet({ id, message: id, author: "a", date });
const like = (id: string, author = "b") => buildLike({ tweetId: id, author, date });
const empty = { records: [], coversFrom: 0, tweets: 0, likes: 0, countedTo: 0, cursor: 0 };

describe("timeline memory", () => {
  it("counts totals once per sequence and signals each new sequence once, in order", () => {
    const memory = new TimelineMemory();
    const seen: Applied[] = [];
    memory.onApplied((a) => void seen.push(a));
    const w = memory.reset(empty);
    memory.apply(w, 1, tweet("t1"));
    memory.apply(w, 2, null);
    memory.apply(w, 3, like("t1"));
    // the same message again (a follower restarted a little before): nothing moves
    memory.apply(w, 3, like("t1"));
    expect(memory.cursor).toBe(3);
    expect([memory.tweets, memory.likes]).toEqual([1, 1]);
    expect(seen.map((a) => [a.seq, a.before, a.event?.messageType ?? null])).toEqual([
      [1, 0, "tweet_created"],
      [2, 1, null],
      [3, 2, "tweet_liked"],
    ]);
    expect(w.get("t1")?.likes).toBe(1);
  });

  it("starts over from the view's figures; the cursor never goes back; old windows are ignored", () => {
    const memory = new TimelineMemory();
    const old = memory.reset(empty);
    memory.apply(old, 5, tweet("t5"));
    const w = memory.reset({ ...empty, tweets: 10, likes: 4, countedTo: 3, cursor: 3 });
    expect(memory.cursor).toBe(5);
    expect(memory.apply(old, 6, tweet("t6"))).toBeUndefined();
    expect(memory.tweets).toBe(10);
    // 4 and 5 are counted again (after countedTo), but not signalled again
    const seen: number[] = [];
    memory.onApplied((a) => void seen.push(a.seq));
    memory.apply(w, 4, like("t5"));
    memory.apply(w, 5, tweet("t5"));
    memory.apply(w, 6, tweet("t6"));
    expect([memory.tweets, memory.likes]).toEqual([12, 5]);
    expect(seen).toEqual([6]);
  });

  it("hands the listeners' promises back (the follower waits for the writer's batch)", async () => {
    const memory = new TimelineMemory();
    let release!: () => void;
    const batch = new Promise<void>((r) => (release = r));
    memory.onApplied(() => batch);
    const w = memory.reset(empty);
    const waited = memory.apply(w, 1, tweet("t1"));
    expect(waited).toBeInstanceOf(Promise);
    let done = false;
    void waited!.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await waited;
    expect(done).toBe(true);
  });

  it("wakes read-your-write waits when their sequence or tweet arrives, or at their deadline", async () => {
    const memory = new TimelineMemory();
    const w = memory.reset(empty);
    const bySeq = memory.waitForSeq(2, 10_000);
    const byTweet = memory.waitForTweet("t2", 10_000);
    const late = memory.waitForTweet("nope", 20);
    memory.apply(w, 1, tweet("t1"));
    memory.apply(w, 2, tweet("t2"));
    await expect(bySeq).resolves.toBeUndefined();
    await expect(byTweet).resolves.toBe(true);
    await expect(late).resolves.toBe(false);
    await expect(memory.waitForSeq(1, 10_000)).resolves.toBeUndefined();
  });
});

/** A response as the hub uses it: writes collected, `close` emitted by `end`/`destroy`. */
function fakeResponse() {
  const res = Object.assign(new EventEmitter(), {
    written: [] as string[],
    writableLength: 0,
    destroyed: false,
    writeHead: () => res,
    write(text: string) {
      res.written.push(text);
      return true;
    },
    end() {
      res.emit("close");
    },
    destroy() {
      res.destroyed = true;
      res.emit("close");
    },
  });
  return res;
}

describe("the SSE hub", () => {
  it("sends what memory applies to live clients, each sequence once, from where each stands", () => {
    const memory = new TimelineMemory();
    const hub = new SseHub(() => memory.cursor);
    memory.onApplied((a) => hub.publish(a.seq, a.event));
    const w = memory.reset(empty);
    const a = fakeResponse();
    const b = fakeResponse();
    hub.begin(a as unknown as ServerResponse);
    hub.begin(b as unknown as ServerResponse);
    hub.attach(a as unknown as ServerResponse, 0);
    memory.apply(w, 1, tweet("t1"));
    // b was replayed up to 1 from the stream, then joins
    hub.attach(b as unknown as ServerResponse, 1);
    memory.apply(w, 2, null);
    memory.apply(w, 3, like("t1"));
    const ids = (r: { written: string[] }) =>
      r.written.filter((t) => t.startsWith("id:")).map((t) => t.split("\n")[0]);
    expect(ids(a)).toEqual(["id: 1", "id: 3"]);
    expect(ids(b)).toEqual(["id: 3"]);
    expect(hub.lastSeq).toBe(3);
    expect(hub.size).toBe(2);
    hub.closeAll();
    expect(hub.size).toBe(0);
  });

  it("drops a client whose unsent output passed the bound", () => {
    const memory = new TimelineMemory();
    const hub = new SseHub(() => memory.cursor);
    const slow = fakeResponse();
    hub.begin(slow as unknown as ServerResponse);
    hub.attach(slow as unknown as ServerResponse, 0);
    slow.writableLength = 2 * 1024 * 1024;
    hub.publish(1, tweet("t1") as TweetEvent);
    expect(slow.destroyed).toBe(true);
    expect(hub.size).toBe(0);
    hub.closeAll();
  });
});

describe("the stall watch", () => {
  it("asks the stream after standing still, and reads again only when the stream grew past", () => {
    let now = 0;
    let cursor = 10;
    const watch = new StallWatch(
      () => cursor,
      () => now,
      5_000,
    );
    expect(watch.stalled(true)).toBe(false);
    now = 4_000;
    expect(watch.stalled(true)).toBe(false);
    now = 5_000;
    expect(watch.stalled(true)).toBe(true);
    // first answer: a baseline (an idle stream, or a purged last message, is no stall)
    expect(watch.grewPast(12)).toBe(false);
    now = 10_000;
    expect(watch.stalled(true)).toBe(true);
    expect(watch.grewPast(12)).toBe(false);
    now = 15_000;
    expect(watch.stalled(true)).toBe(true);
    expect(watch.grewPast(20)).toBe(true);
    // moving again starts over
    cursor = 21;
    now = 16_000;
    expect(watch.stalled(true)).toBe(false);
    now = 30_000;
    expect(watch.stalled(false)).toBe(false);
  });
});
