import { describe, expect, it } from "vitest";
import {
  buildLike,
  decodeEventLine,
  eventForPublish,
  fillTemplate,
  goDateProblem,
  messageIdFor,
  validateEventId,
} from "../../src/events.js";

const defaults = { author: "dflt", now: () => new Date("2024-05-06T07:08:09.010Z") };
const bytes = (s: string | number[]) =>
  typeof s === "string" ? new TextEncoder().encode(s) : Uint8Array.from(s);

describe("goDateProblem: what Go's time.Time accepts", () => {
  it.each([
    "2022-01-07T22:01:27Z",
    "2022-01-07T22:01:27.123456789Z",
    "2024-02-29T00:00:00+01:00",
    "2022-12-31T23:59:59-23:59",
  ])("accepts %s", (d) => expect(goDateProblem(d)).toBeNull());
  it.each([
    "2022-02-30T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2022-01-07T24:00:00Z",
    "2022-01-07T23:59:60Z",
    "2022-01-07t22:01:27z",
    "2022-01-07T22:01:27+24:00",
    "2022-13-01T00:00:00Z",
    "2022-01-07",
  ])("refuses %s", (d) => expect(goDateProblem(d)).not.toBeNull());
});

describe("eventForPublish", () => {
  it("keeps a complete event as given, only its five fields in the struct's order", () => {
    const e = eventForPublish(
      {
        author: "a",
        date: "2022-01-07T22:01:27Z",
        message: "m",
        id: "1",
        messageType: "tweet_created",
        x: 1,
      },
      defaults,
    );
    expect(JSON.stringify(e)).toBe(
      '{"messageType":"tweet_created","id":"1","message":"m","date":"2022-01-07T22:01:27Z","author":"a"}',
    );
  });

  it("fills in the short form and upper-cases t/z for Go", () => {
    const t = eventForPublish({ message: "hi" }, defaults);
    expect(t).toMatchObject({
      messageType: "tweet_created",
      message: "hi",
      author: "dflt",
      date: "2024-05-06T07:08:09.010Z",
    });
    expect(t.id).toMatch(/^[0-9a-f-]{36}$/);
    const l = eventForPublish(
      { messageType: "tweet_liked", id: "7", date: "2022-01-07t22:01:27z" },
      defaults,
    );
    expect(l).toEqual({
      messageType: "tweet_liked",
      id: "7",
      message: "",
      date: "2022-01-07T22:01:27Z",
      author: "dflt",
    });
  });

  it("refuses what cannot be an event", () => {
    expect(() => eventForPublish({ messageType: "tweet_liked" }, defaults)).toThrow(
      /id of the liked tweet/,
    );
    expect(() => eventForPublish({ messageType: "other", id: "1" }, defaults)).toThrow(
      /messageType/,
    );
    expect(() => eventForPublish({ id: 5, message: "m" }, defaults)).toThrow(/id must be/);
    expect(() => eventForPublish([], defaults)).toThrow(/not a JSON object/);
    expect(() => eventForPublish({ message: "m", date: "2022-02-30T00:00:00Z" }, defaults)).toThrow(
      /no such day/,
    );
  });
});

describe("decodeEventLine", () => {
  it("reports invalid UTF-8 and invalid JSON with exit 2, in one short line", () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [bytes([0x7b, 0xff, 0x7d]), /invalid UTF-8/],
      [bytes("{" + "x".repeat(500)), /invalid JSON/],
    ];
    for (const [line, re] of cases) {
      let error: unknown;
      try {
        decodeEventLine(line, defaults);
      } catch (err) {
        error = err;
      }
      expect((error as { exitCode: number }).exitCode).toBe(2);
      expect((error as Error).message).toMatch(re);
      expect((error as Error).message.length).toBeLessThan(130);
    }
  });
});

describe("templates, ids, like message ids", () => {
  it("fills {{n}} everywhere", () => {
    expect(fillTemplate("a {{n}} b {{n}}", 12)).toBe("a 12 b 12");
    expect(fillTemplate("plain", 3)).toBe("plain");
  });
  it("refuses ids with whitespace", () => {
    expect(() => validateEventId("a b")).toThrow(/whitespace/);
    expect(() => validateEventId("")).toThrow(/empty/);
    expect(validateEventId("ok-1")).toBe("ok-1");
  });
  it("gives a like a message id of its own, stable for the same like", () => {
    const date = new Date("2022-01-07T22:01:27Z");
    const a = buildLike({ tweetId: "t", author: "alice", date });
    expect(messageIdFor(a)).not.toBe("t");
    expect(messageIdFor(a)).toBe(messageIdFor(buildLike({ tweetId: "t", author: "alice", date })));
    expect(messageIdFor(a)).not.toBe(
      messageIdFor(buildLike({ tweetId: "t", author: "bob", date })),
    );
  });
});
