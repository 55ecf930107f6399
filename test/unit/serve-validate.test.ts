import { describe, expect, it } from "vitest";
import { HttpError } from "../../src/serve/http-error.js";
import {
  ANONYMOUS,
  checkJsonContentType,
  idempotencyKey,
  likeAuthor,
  parseJsonBody,
  timelineQuery,
  tweetIdForKey,
  tweetInput,
} from "../../src/serve/validate.js";
import { eventProblem } from "../../src/events.js";

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return (err as HttpError).status;
  }
}

describe("checkJsonContentType", () => {
  it("accepts JSON in UTF-8, refuses everything else with 415", () => {
    for (const ok of [
      "application/json",
      "Application/JSON; charset=UTF-8",
      'application/json; charset="utf-8"',
      "application/merge-patch+json",
    ]) {
      expect(
        statusOf(() => checkJsonContentType(ok)),
        ok,
      ).toBeUndefined();
    }
    for (const bad of [undefined, "", "text/plain", "application/json; charset=latin1", "json"]) {
      expect(
        statusOf(() => checkJsonContentType(bad)),
        String(bad),
      ).toBe(415);
    }
  });
});

describe("bodies", () => {
  it("parseJsonBody: 400 for empty, invalid UTF-8 or invalid JSON", () => {
    expect(parseJsonBody(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(statusOf(() => parseJsonBody(Buffer.from("  ")))).toBe(400);
    expect(statusOf(() => parseJsonBody(Buffer.from([0xff, 0xfe])))).toBe(400);
    expect(statusOf(() => parseJsonBody(Buffer.from("{")))).toBe(400);
  });

  it("tweetInput checks both fields and keeps the message as written", () => {
    expect(tweetInput({ message: " hi\nthere ", author: " ann ", extra: 1 })).toEqual({
      message: " hi\nthere ",
      author: "ann",
    });
    const cases: unknown[] = [
      null,
      [],
      "x",
      {},
      { message: "m" },
      { author: "a" },
      { message: "", author: "a" },
      { message: "m", author: "  " },
      { message: 1, author: "a" },
      { message: "m", author: "a\nb" },
      { message: "a\u0000b", author: "a" },
      { message: "x".repeat(281), author: "a" },
      { message: "m", author: "x".repeat(65) },
    ];
    for (const c of cases)
      expect(
        statusOf(() => tweetInput(c)),
        JSON.stringify(c),
      ).toBe(400);
    // 280 characters, not bytes or UTF-16 units
    expect(tweetInput({ message: "😀".repeat(280), author: "a" }).message).toHaveLength(560);
  });

  it("likeAuthor: optional body and author, anonymous by default", () => {
    expect(likeAuthor(undefined)).toBe(ANONYMOUS);
    expect(likeAuthor({})).toBe(ANONYMOUS);
    expect(likeAuthor({ author: " bob " })).toBe("bob");
    expect(statusOf(() => likeAuthor({ author: "" }))).toBe(400);
    expect(statusOf(() => likeAuthor([]))).toBe(400);
  });
});

describe("timelineQuery", () => {
  it("defaults, bounds and the before cursor", () => {
    expect(timelineQuery(new URLSearchParams())).toEqual({ limit: 50 });
    expect(timelineQuery(new URLSearchParams("limit=1000&before=7"))).toEqual({
      limit: 1000,
      before: 7,
    });
    for (const q of ["limit=0", "limit=1001", "limit=-1", "limit=1.5", "limit=", "before=0"]) {
      expect(
        statusOf(() => timelineQuery(new URLSearchParams(q))),
        q,
      ).toBe(400);
    }
  });
});

describe("Idempotency-Key", () => {
  it("accepts visible ASCII up to 255 characters", () => {
    expect(idempotencyKey(undefined)).toBeUndefined();
    expect(idempotencyKey("8e03978e-40d5-43e8-bc93-6894a57f9324")).toBe(
      "8e03978e-40d5-43e8-bc93-6894a57f9324",
    );
    for (const bad of ["", "a b", "é", "x".repeat(256)]) {
      expect(
        statusOf(() => idempotencyKey(bad)),
        bad,
      ).toBe(400);
    }
  });

  it("derives one stable, well-formed tweet id per stream and key", () => {
    const id = tweetIdForKey("TWITTERCLONE", "k1");
    expect(id).toBe(tweetIdForKey("TWITTERCLONE", "k1"));
    expect(id).not.toBe(tweetIdForKey("TWITTERCLONE", "k2"));
    expect(id).not.toBe(tweetIdForKey("OTHER", "k1"));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(
      eventProblem({
        messageType: "tweet_created",
        id,
        message: "m",
        date: new Date().toISOString(),
        author: "a",
      }),
    ).toBeNull();
  });
});
