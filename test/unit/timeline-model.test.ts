import { describe, expect, it } from "vitest";
import type { TweetEvent } from "../../src/events.js";
import {
  applyEvent,
  LIKED_BY_KEPT,
  RecentWindow,
  totalsDelta,
  tweetKey,
  type TweetRecord,
} from "../../src/serve/timeline/model.js";
import { timelineBucketName } from "../../src/nats/timeline-bucket.js";
import { limited } from "../../src/serve/replay.js";

const tweet = (id: string, message = id): TweetEvent => ({
  messageType: "tweet_created",
  id,
  message,
  date: "2026-01-01T00:00:00.000Z",
  author: "a",
});
const like = (id: string, author = "fan"): TweetEvent => ({
  messageType: "tweet_liked",
  id,
  message: "",
  date: "2026-01-01T00:00:01.000Z",
  author,
});

describe("view records", () => {
  it("applies each event once, by stream sequence", () => {
    let rec = applyEvent(null, 1, tweet("a"))!;
    rec = applyEvent(rec, 3, like("a"))!;
    expect(applyEvent(rec, 3, like("a"))).toBeNull();
    expect(applyEvent(rec, 2, like("a"))).toBeNull();
    rec = applyEvent(rec, 5, like("a", "b"))!;
    expect(rec).toMatchObject({ likes: 2, last_seq: 5, tweet: { seq: 1, message: "a" } });
    expect(rec.liked_by.map((l) => l.seq)).toEqual([3, 5]);
  });

  it("keeps a tweet's first event, counts likes stored before it, and keeps the newest likes", () => {
    let rec: TweetRecord = applyEvent(null, 1, like("x"))!;
    expect(rec.tweet).toBeNull();
    rec = applyEvent(rec, 2, tweet("x", "first"))!;
    rec = applyEvent(rec, 3, tweet("x", "again"))!;
    expect(rec.tweet).toMatchObject({ seq: 2, message: "first" });
    expect(totalsDelta(rec, 2, tweet("x"))).toEqual({ tweets: 1, likes: 0 });
    expect(totalsDelta(rec, 3, tweet("x"))).toEqual({ tweets: 0, likes: 0 });
    for (let s = 10; s < 10 + LIKED_BY_KEPT + 5; s++) rec = applyEvent(rec, s, like("x"))!;
    expect(rec.likes).toBe(LIKED_BY_KEPT + 6);
    expect(rec.liked_by).toHaveLength(LIKED_BY_KEPT);
    expect(rec.liked_by[LIKED_BY_KEPT - 1]!.seq).toBe(10 + LIKED_BY_KEPT + 4);
  });

  it("keys: readable ids as they are, others hashed", () => {
    expect(tweetKey("0b9e-x_Y")).toBe("0b9e-x_Y");
    expect(tweetKey("a.b")).toMatch(/^=[A-Za-z0-9_-]+$/);
    expect(tweetKey("a.b")).not.toBe(tweetKey("a.c"));
  });
});

describe("RecentWindow", () => {
  it("holds the newest tweets, newest first, and says from where it is complete", () => {
    const w = new RecentWindow([], 0, 3);
    for (let s = 1; s <= 5; s++) w.apply(s, tweet(`t${s}`));
    w.apply(6, like("t5"));
    w.apply(7, like("t1")); // not in the window any more
    expect(w.timeline(10).map((t) => [t.id, t.likes])).toEqual([
      ["t5", 1],
      ["t4", 0],
      ["t3", 0],
    ]);
    expect(w.coversFrom).toBe(3);
    expect(w.timeline(10, 5).map((t) => t.id)).toEqual(["t4", "t3"]);
  });

  it("upsert takes records in any order and never reaches below the window", () => {
    const w = new RecentWindow([], 0, 2);
    const rec = (id: string, seq: number) => applyEvent(null, seq, tweet(id))!;
    w.upsert(rec("d", 8));
    w.upsert(rec("c", 7));
    w.upsert(rec("b", 6));
    w.upsert(rec("a", 5));
    expect(w.records().map((r) => r.id)).toEqual(["c", "d"]);
    expect(w.coversFrom).toBe(7);
  });
});

describe("serve helpers", () => {
  it("names the view's bucket after the stream, hashing names a bucket may not have", () => {
    expect(timelineBucketName("TWITTERCLONE")).toBe("tweetstream_view_TWITTERCLONE");
    expect(timelineBucketName("a!b")).toMatch(/^tweetstream_view_[0-9a-f]{32}$/);
  });

  it("limited runs at most n at once and all of them in the end", async () => {
    let running = 0;
    let most = 0;
    const task = limited(2, async (i: number) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return i * 2;
    });
    expect(await Promise.all([1, 2, 3, 4, 5].map(task))).toEqual([2, 4, 6, 8, 10]);
    expect(most).toBe(2);
  });
});
