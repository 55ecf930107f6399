// The checks every value read from serve's view bucket must pass, and the writer's lease
// (expiry by the reader's own clock on an unchanged revision), against an in-memory bucket.

import { describe, expect, it } from "vitest";
import { CliError, ExitCode } from "../../src/errors.js";
import { TimelineDamage, timelineLease, type ValueCheck } from "../../src/nats/timeline-bucket.js";
import { memoryBucket } from "./fakes/memory-bucket.js";
import {
  isCurrent,
  isHead,
  isRecentList,
  isRecordOf,
  isRepair,
  timelineKeys,
} from "../../src/serve/timeline/keys.js";
import { TimelineCondition } from "../../src/serve/timeline/condition.js";

const record = {
  id: "t1",
  tweet: { message: "hi", author: "a", date: "2026-01-01T00:00:00.000Z", seq: 1 },
  likes: 1,
  liked_by: [{ author: "b", date: "2026-01-01T00:00:01.000Z", seq: 2 }],
  last_seq: 2,
};

describe("the checks of what the bucket holds", () => {
  it.each([
    [isCurrent, { gen: 3 }, true],
    [isCurrent, { gen: ">" }, false],
    [isCurrent, { gen: "1" }, false],
    [isCurrent, { gen: 0 }, false],
    [isCurrent, { gen: 1.5 }, false],
    [isCurrent, { gen: 2 ** 53 }, false],
    [isCurrent, [1], false],
    [isHead, { stream_created: "x", first_seq: 1, cursor: 0, tweets: 0, likes: 0 }, true],
    [isHead, { stream_created: "x", first_seq: 0, cursor: 0, tweets: 0, likes: 0 }, false],
    [isHead, { stream_created: "x", first_seq: 1, cursor: -1, tweets: 0, likes: 0 }, false],
    [isHead, { stream_created: 5, first_seq: 1, cursor: 0, tweets: 0, likes: 0 }, false],
    [isHead, null, false],
    [isRecordOf("t1"), record, true],
    [isRecordOf("t1"), { ...record, tweet: null }, true],
    [isRecordOf("t2"), record, false],
    [isRecordOf("t1"), { ...record, likes: -1 }, false],
    [isRecordOf("t1"), { ...record, liked_by: "x" }, false],
    [isRecordOf("t1"), { ...record, tweet: { ...record.tweet, message: 1 } }, false],
    [isRecordOf("t1"), { id: "t1" }, false],
    [isRecentList, { cursor: 2, covers_from: 1, tweets: [record] }, true],
    [isRecentList, { cursor: 2, covers_from: 1, tweets: [{ ...record, tweet: null }] }, false],
    [isRecentList, { cursor: 2, covers_from: 1, tweets: {} }, false],
    [isRepair, { gen: 2, reason: "x" }, true],
    [isRepair, { gen: 2 }, false],
  ] as Array<[ValueCheck<unknown>, unknown, boolean]>)("%#: %j", (check, value, ok) => {
    expect(check(value) === undefined).toBe(ok);
  });

  it("a generation that passed makes key names of letters, digits and dots only", () => {
    const keys = timelineKeys(12);
    expect([keys.head, keys.recent, keys.record("a b>*")]).toEqual([
      "g12.head",
      "g12.recent",
      expect.stringMatching(/^g12\.t\.=[A-Za-z0-9_-]+$/),
    ]);
  });

  it("a value that is not JSON, or not the shape, is damage with its revision", async () => {
    const { bucket, put } = memoryBucket();
    put("g1.head", "{");
    await expect(bucket.get("g1.head", isHead)).rejects.toBeInstanceOf(TimelineDamage);
    put("_current", '{"gen":">"}');
    const err = await bucket.get("_current", isCurrent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimelineDamage);
    expect((err as TimelineDamage).revision).toBe(2);
  });
});

describe("the writer's lease", () => {
  const TTL = 5000;

  it("a lease nobody renews is taken after the TTL of the reader's clock, whatever `until` says", async () => {
    const { bucket, put, raw } = memoryBucket();
    let now = 0;
    const lease = timelineLease(bucket, "_writer", "me", TTL, () => now);
    put("_writer", JSON.stringify({ owner: "x", until: 9_999_999_999_999 }));
    expect(await lease.refresh()).toBe(false);
    now = TTL - 1;
    expect(await lease.refresh()).toBe(false);
    now = TTL;
    expect(await lease.refresh()).toBe(true);
    expect(JSON.parse(raw("_writer")!).owner).toBe("me");
  });

  it("a lease its holder renews is never taken", async () => {
    const { bucket, put } = memoryBucket();
    let now = 0;
    const lease = timelineLease(bucket, "_writer", "me", TTL, () => now);
    for (let i = 0; i < 20; i++) {
      // renewed every second, with `until` in the past (a holder whose clock is behind)
      put("_writer", JSON.stringify({ owner: "x", until: 1 }));
      expect(await lease.refresh()).toBe(false);
      now += 1000;
    }
  });

  it("a lease given up, absent or not a lease is taken at once; the holder keeps it", async () => {
    const { bucket, put } = memoryBucket();
    const lease = timelineLease(bucket, "_writer", "me", TTL, () => 0);
    expect(await lease.refresh()).toBe(true);
    expect(await lease.refresh()).toBe(true);
    put("_writer", JSON.stringify({ owner: "", until: 0 }));
    expect(await lease.refresh()).toBe(true);
    put("_writer", "garbage");
    expect(await lease.refresh()).toBe(true);
    put("_writer", JSON.stringify({ owner: "old-version", until: 0 }));
    expect(await lease.refresh()).toBe(true);
  });

  it("release gives it up for the next instance at once", async () => {
    const { bucket } = memoryBucket();
    const a = timelineLease(bucket, "_writer", "a", TTL, () => 0);
    const b = timelineLease(bucket, "_writer", "b", TTL, () => 0);
    expect(await a.refresh()).toBe(true);
    expect(await b.refresh()).toBe(false);
    await a.release();
    expect(await b.refresh()).toBe(true);
  });
});

describe("the view's condition", () => {
  it("damage until a newer generation, the bucket full until a write is stored", () => {
    const warnings: string[] = [];
    const c = new TimelineCondition((t) => warnings.push(t));
    expect(c.state).toEqual({ state: "ok" });
    expect(c.noteDamage(new Error("not damage"), 3)).toBe(false);
    const found = c.noteDamage(new TimelineDamage("g3.head", "not JSON", 7), 3);
    expect(found).toMatchObject({ gen: 3 });
    // once per episode
    expect(c.noteDamage("g3.recent is missing", 3)).toBeUndefined();
    expect(c.state).toEqual({ state: "repairing", reason: expect.stringMatching(/g3\.head/) });
    c.repairedBy(3, true);
    expect(c.state.state).toBe("repairing");
    c.repairedBy(4, true);
    expect(c.state).toEqual({ state: "ok" });

    const full = new CliError("limit reached: insufficient resources", ExitCode.Conflict);
    c.noteTimelineWrite(new CliError("timeout", ExitCode.Timeout));
    expect(c.state.state).toBe("ok");
    c.noteTimelineWrite(full);
    expect(c.state).toEqual({ state: "full", reason: full.message });
    expect(c.full).toBe(full.message);
    c.noteTimelineWrite();
    expect(c.state.state).toBe("ok");
    c.notePublished(full);
    expect(c.state.state).toBe("full");
    expect(c.full).toBeUndefined();
    c.notePublished();
    expect(c.state.state).toBe("ok");
    expect(warnings).toHaveLength(4);
    expect(warnings[1]).toMatch(/repaired \(generation 4/);
  });
});
