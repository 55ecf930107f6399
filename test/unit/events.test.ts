import { describe, expect, it } from "vitest";
import {
  buildLike,
  buildTweet,
  eventProblem,
  messageIdFor,
  parseEventPayload,
  resolveSubject,
  subjectFor,
} from "../../src/events.js";

describe("events", () => {
  it("builds the article's event shape with an RFC 3339 UTC date", () => {
    const t = buildTweet({
      message: "hello world !",
      author: "ziggornif",
      id: "1",
      date: new Date(0),
    });
    expect(JSON.stringify(t)).toBe(
      '{"messageType":"tweet_created","id":"1","message":"hello world !","date":"1970-01-01T00:00:00.000Z","author":"ziggornif"}',
    );
    expect(buildTweet({ message: "x", author: "a" }).id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives tweets their id as message id and likes one derived from the whole event", () => {
    const t = buildTweet({ message: "x", author: "a", id: "t1" });
    expect(messageIdFor(t)).toBe("t1");
    const l1 = buildLike({ tweetId: "t1", author: "bob", date: new Date(1000) });
    const l2 = buildLike({ tweetId: "t1", author: "carol", date: new Date(1000) });
    expect(messageIdFor(l1)).not.toBe("t1");
    expect(messageIdFor(l1)).not.toBe(messageIdFor(l2));
    expect(messageIdFor(l1)).toBe(messageIdFor({ ...l1 }));
  });

  it("validates events", () => {
    const ok = buildTweet({ message: "x", author: "a" });
    expect(eventProblem(ok)).toBeNull();
    expect(eventProblem([])).toMatch(/object/);
    expect(eventProblem({ ...ok, messageType: "tweet_deleted" })).toMatch(/messageType/);
    expect(eventProblem({ ...ok, id: "a b" })).toMatch(/whitespace/);
    expect(eventProblem({ ...ok, message: " " })).toMatch(/empty/);
    expect(eventProblem({ ...ok, date: "yesterday" })).toMatch(/RFC 3339/);
    expect(eventProblem({ ...ok, author: "" })).toMatch(/author/);
    expect(eventProblem({ ...ok, date: "2022-01-07T22:01:27.123456789+01:00" })).toBeNull();
  });

  it("parses payloads, returning null for anything that is not an event", () => {
    const ok = buildTweet({ message: "x", author: "a" });
    expect(parseEventPayload(JSON.stringify(ok))).toEqual(ok);
    expect(parseEventPayload("not json")).toBeNull();
    expect(parseEventPayload(new Uint8Array([0xff, 0xfe]))).toBeNull();
    expect(parseEventPayload('{"hello":1}')).toBeNull();
  });

  it("resolves subjects and their short forms", () => {
    expect(subjectFor("S", "tweet_liked")).toBe("S.tweet_liked");
    expect(resolveSubject("S", "tweet_liked")).toBe("S.tweet_liked");
    expect(resolveSubject("S", "S.*")).toBe("S.*");
    expect(resolveSubject("S", ">")).toBe(">");
    expect(() => resolveSubject("S", "a..b")).toThrow(/invalid subject/);
  });
});
