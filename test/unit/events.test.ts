import { describe, expect, it } from "vitest";
import {
  buildLike,
  buildTweet,
  eventProblem,
  messageIdFor,
  eventForPublish,
  readStoredEvent,
  resolveSubject,
  subjectFor,
  timelineEvent,
  typeFromSubject,
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
    expect(eventProblem({ ...ok, author: 1 })).toMatch(/author must be a string/);
    expect(eventProblem({ ...ok, date: "2022-01-07T22:01:27.123456789+01:00" })).toBeNull();
  });

  it("parses payloads: events, and why anything else is not one", () => {
    const ok = buildTweet({ message: "x", author: "a" });
    const read = (data: string | Uint8Array, subject = "S.tweet_created") =>
      readStoredEvent(subject, data);
    expect(read(JSON.stringify(ok))).toMatchObject({ event: ok, typeInferred: false });
    expect(read("not json")).toMatchObject({ event: null, problem: "not JSON", object: null });
    expect(read("[1]")).toMatchObject({ event: null, problem: "not a JSON object" });
    expect(read(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatchObject({
      event: null,
      problem: "not valid UTF-8",
    });
    expect(read('{"hello":1}')).toMatchObject({
      event: null,
      problem: expect.stringMatching(/^id must be/),
      object: { hello: 1 },
    });
    expect(read('{"hello":1}', "S.other")).toMatchObject({
      problem: expect.stringMatching(/^messageType must be/),
    });
  });

  // the article's Go struct has no messageType: the subject says what the event is
  const goTweet = {
    id: "1",
    message: "hello world !",
    date: "2022-01-07T22:01:27.123456789+01:00",
    author: "ziggornif",
  };
  const repoLike = {
    messageType: "tweet_liked",
    id: "1",
    message: "",
    date: "2022-01-07T22:01:28.5+01:00",
    author: "",
  };

  it("types an event without messageType from its subject's last token", () => {
    expect(typeFromSubject("TWITTERCLONE.tweet_liked")).toBe("tweet_liked");
    expect(typeFromSubject("TWITTERCLONE.other")).toBeUndefined();
    const r = readStoredEvent("TWITTERCLONE.tweet_created", JSON.stringify(goTweet));
    expect(r).toMatchObject({ typeInferred: true, object: goTweet });
    // the date is kept exactly as Go wrote it
    expect(r.event).toEqual({ messageType: "tweet_created", ...goTweet });
    for (const messageType of [null, ""]) {
      const again = readStoredEvent(
        "A.B.tweet_created",
        JSON.stringify({ ...goTweet, messageType }),
      );
      expect(again).toMatchObject({ event: { messageType: "tweet_created" }, typeInferred: true });
    }
    const like = { ...goTweet, message: "", author: "" };
    expect(readStoredEvent("S.tweet_liked", JSON.stringify(like))).toMatchObject({
      event: { messageType: "tweet_liked", author: "" },
      typeInferred: true,
    });
    // a stated type wins over the subject; an unknown one is not replaced
    expect(
      readStoredEvent("S.tweet_created", JSON.stringify({ ...repoLike, author: "x" })).event,
    ).toMatchObject({ messageType: "tweet_liked" });
    expect(
      readStoredEvent("S.tweet_created", JSON.stringify({ ...goTweet, messageType: "x" })),
    ).toMatchObject({ event: null, problem: expect.stringMatching(/^messageType must be/) });
    // no type to take from the subject: not an event, as before
    expect(readStoredEvent("S.x", JSON.stringify(goTweet))).toMatchObject({
      event: null,
      problem: expect.stringMatching(/^messageType must be/),
    });
  });

  it("accepts the repository's like shape: empty author and message, an anonymous liker", () => {
    expect(eventProblem(repoLike)).toBeNull();
    expect(eventProblem({ ...repoLike, messageType: "tweet_created", message: "x" })).toMatch(
      /author must not be empty/,
    );
    expect(readStoredEvent("S.tweet_liked", JSON.stringify(repoLike))).toMatchObject({
      event: repoLike,
      typeInferred: false,
    });
    expect(timelineEvent("S.tweet_liked", JSON.stringify(repoLike))).toEqual({
      ...repoLike,
      author: "anonymous",
    });
    expect(timelineEvent("S.tweet_created", JSON.stringify(goTweet))).toEqual({
      messageType: "tweet_created",
      ...goTweet,
    });
    expect(timelineEvent("S.tweet_created", "x")).toBeNull();
    // publish --file keeps it as written, empty author included
    const defaults = { author: "me", now: () => new Date(0) };
    expect(eventForPublish(repoLike, defaults)).toEqual(repoLike);
    expect(eventForPublish({ ...goTweet, messageType: "tweet_created" }, defaults).date).toBe(
      goTweet.date,
    );
  });

  it("resolves subjects and their short forms", () => {
    expect(subjectFor("S", "tweet_liked")).toBe("S.tweet_liked");
    expect(resolveSubject("S", "tweet_liked")).toBe("S.tweet_liked");
    expect(resolveSubject("S", "S.*")).toBe("S.*");
    expect(resolveSubject("S", ">")).toBe(">");
    expect(() => resolveSubject("S", "a..b")).toThrow(/invalid subject/);
  });
});
