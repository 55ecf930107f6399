import { describe, expect, it } from "vitest";
import type { TweetEvent } from "../../src/events.js";
import { Projection } from "../../src/serve/projection.js";

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

describe("Projection", () => {
  it("newest first by stream sequence, with like counts and pages", () => {
    const p = new Projection();
    p.apply(1, tweet("a"));
    p.apply(2, tweet("b"));
    p.apply(3, like("a"));
    p.apply(4, tweet("c"));
    p.apply(5, like("a", "other"));
    expect(p.timeline(10).map((t) => [t.id, t.likes])).toEqual([
      ["c", 0],
      ["b", 0],
      ["a", 2],
    ]);
    expect(p.timeline(1, 4).map((t) => t.id)).toEqual(["b"]);
    expect(p.tweet("a")?.liked_by.map((l) => l.author)).toEqual(["fan", "other"]);
    expect(p.tweet("zzz")).toBeUndefined();
    expect([p.tweetCount, p.totalLikes, p.lastSeq]).toEqual([3, 2, 5]);
  });

  it("applies each sequence once, in any order (ack first, follower later)", () => {
    const p = new Projection();
    expect(p.apply(2, tweet("b"))).toBe(true);
    expect(p.apply(3, like("b"))).toBe(true);
    expect(p.apply(1, tweet("a"))).toBe(true);
    expect(p.apply(2, tweet("b"))).toBe(false);
    expect(p.apply(3, like("b"))).toBe(false);
    expect(p.timeline(10).map((t) => [t.id, t.likes])).toEqual([
      ["b", 1],
      ["a", 0],
    ]);
  });

  it("keeps the first tweet of a repeated id and counts the repeat", () => {
    const p = new Projection();
    p.apply(1, tweet("a", "first"));
    expect(p.apply(2, tweet("a", "second"))).toBe(false);
    expect(p.tweet("a")?.message).toBe("first");
    expect(p.duplicates).toBe(1);
  });

  it("counts likes stored before their tweet once the tweet arrives", () => {
    const p = new Projection();
    p.apply(1, like("later"));
    expect(p.has("later")).toBe(false);
    p.apply(2, tweet("later"));
    expect(p.tweet("later")?.likes).toBe(1);
  });

  it("eventsAfter replays every event after a sequence, in order", () => {
    const p = new Projection();
    p.apply(1, tweet("a"));
    p.apply(2, like("a"));
    p.skip(3);
    p.apply(4, tweet("b"));
    p.apply(5, like("a"));
    expect(p.eventsAfter(1).map((e) => [e.seq, e.messageType])).toEqual([
      [2, "tweet_liked"],
      [4, "tweet_created"],
      [5, "tweet_liked"],
    ]);
    expect(p.eventsAfter(5)).toEqual([]);
    expect(p.skipped).toBe(1);
  });
});
