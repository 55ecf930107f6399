import { describe, expect, it } from "vitest";
import { parseDeliver } from "../../src/parse.js";
import { durableMismatches } from "../../src/nats/listen.js";
import {
  listenLine,
  readMessage,
  renderEventLine,
  renderViewMessage,
  viewLine,
  viewRecord,
  type StoredMessage,
} from "../../src/output/events.js";
import type { TweetEvent } from "../../src/events.js";
import { visibleLength } from "../../src/output/format.js";
import { Chalk } from "chalk";
import type { ConsumerConfig } from "nats";

const plain = new Chalk({ level: 0 });
const msg = (data: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  stream: "S",
  seq: 3,
  subject: "S.tweet_created",
  time: new Date("2026-01-01T00:00:00.000Z"),
  data: new TextEncoder().encode(data),
  ...extra,
});
const event = {
  messageType: "tweet_created",
  id: "1",
  message: "hi\u001b[31m",
  date: "2026-01-01T00:00:00.000Z",
  author: "zig",
} as const;

describe("parseDeliver", () => {
  it("reads policies, sequences and times", () => {
    expect(parseDeliver("all")).toEqual({ policy: "all" });
    expect(parseDeliver("NEW")).toEqual({ policy: "new" });
    expect(parseDeliver("42")).toEqual({ policy: "sequence", seq: 42 });
    const t = parseDeliver("2026-01-01T00:00:00Z");
    expect(t.policy === "time" && t.time.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    const ago = parseDeliver("10m");
    expect(ago.policy).toBe("time");
    expect(() => parseDeliver("soon")).toThrow(/invalid --deliver "soon"/);
    expect(() => parseDeliver("0")).toThrow(/invalid --deliver/);
  });
});

describe("durableMismatches", () => {
  const existing = {
    durable_name: "d",
    ack_policy: "explicit",
    deliver_policy: "all",
    ack_wait: 30_000_000_000,
    max_deliver: -1,
    filter_subject: "S.tweet_liked",
  } as unknown as ConsumerConfig;
  it("accepts what is left out or equal", () => {
    expect(durableMismatches(existing, { stream: "S" })).toEqual([]);
    expect(
      durableMismatches(existing, {
        stream: "S",
        filter: "S.tweet_liked",
        ackWaitMs: 30_000,
        deliver: { policy: "all" },
      }),
    ).toEqual([]);
  });
  it("names every difference", () => {
    const diffs = durableMismatches(existing, {
      stream: "S",
      filter: "S.*",
      ackWaitMs: 5_000,
      maxDeliver: 3,
      deliver: { policy: "new" },
    });
    expect(diffs).toHaveLength(4);
    expect(diffs.join("; ")).toMatch(
      /subject filter is S.tweet_liked, requested S.\*.*ack wait is 30s, requested 5s.*max deliver is -1, requested 3.*delivers all, requested new/,
    );
  });
});

describe("event renderings", () => {
  it("view records carry an object as event, anything else as data", () => {
    expect(viewRecord(msg('{"a":1}'))).toEqual({
      stream: "S",
      seq: 3,
      subject: "S.tweet_created",
      time: "2026-01-01T00:00:00.000Z",
      event: { a: 1 },
    });
    expect(viewRecord(msg("[1]"))).toMatchObject({ data: "[1]" });
    expect(viewRecord(msg("x", { headers: { A: ["b"] } }))).toMatchObject({
      data: "x",
      headers: { A: ["b"] },
    });
  });
  it("view lines are the view records on one line", () => {
    for (const m of [
      msg('{"a":1,"b":"x"}'),
      msg('{\n  "a": [1,\n 2]\n}', { headers: { A: ["b"] } }),
      msg("not json"),
      msg('"a string"'),
    ]) {
      const line = viewLine(m);
      expect(line).not.toMatch(/\n/);
      expect(JSON.parse(line)).toEqual(viewRecord(m));
    }
  });
  it("listen records say how often an event was delivered", () => {
    expect(
      JSON.parse(
        listenLine(msg(JSON.stringify(event), { delivered: 2 }), "c", {
          event,
          typeInferred: false,
          object: event,
        }),
      ),
    ).toEqual({
      stream: "S",
      seq: 3,
      subject: "S.tweet_created",
      time: "2026-01-01T00:00:00.000Z",
      consumer: "c",
      delivered: 2,
      redelivered: true,
      event,
    });
  });
  // the article's Go program: no messageType, the subject gives it
  const { messageType: _, ...goEvent } = event;
  const goLike = { id: "1", message: "", date: "2022-01-07T22:01:27.123456789+01:00", author: "" };
  it("view and listen say when the type came from the subject", () => {
    const m = msg(JSON.stringify(goEvent));
    expect(viewRecord(m)).toMatchObject({ event, type_inferred: true });
    expect(Object.keys(viewRecord(m).event as object)[0]).toBe("messageType");
    expect(JSON.parse(viewLine(m))).toEqual(viewRecord(m));
    const liked = msg(JSON.stringify({ ...goLike, messageType: null }), {
      subject: "S.tweet_liked",
    });
    expect(viewRecord(liked)).toMatchObject({
      event: { messageType: "tweet_liked", ...goLike },
      type_inferred: true,
    });
    expect(JSON.parse(viewLine(liked))).toEqual(viewRecord(liked));
    expect(viewRecord(msg(JSON.stringify(event)))).not.toHaveProperty("type_inferred");
    expect(renderViewMessage(liked, plain).split("\n")[0]).toMatch(
      /^\[3\] S\.tweet_liked {2}\S+ \S+ {2}tweet_liked$/,
    );
    expect(renderViewMessage(msg(JSON.stringify(event)), plain).split("\n")[0]).toMatch(
      /^\[3\] S\.tweet_created {2}\S+ \S+$/,
    );
    const reading = readMessage(liked);
    expect(JSON.parse(listenLine(liked, "c", reading))).toMatchObject({
      event: { messageType: "tweet_liked", ...goLike },
      type_inferred: true,
    });
    const line = renderEventLine(liked, reading.event!, plain);
    expect(line).toMatch(/ tweet_liked {4}1 {2}anonymous$/); // a like does not repeat the id
    expect(line).not.toContain("@");
  });
  it("escapes terminal control characters in human output", () => {
    expect(renderEventLine(msg(""), event, plain)).not.toContain("\u001b");
    expect(renderEventLine(msg(""), event, plain)).toContain("hi\\u001b[31m");
    expect(renderViewMessage(msg("a\u0007b\nc"), plain)).toContain("a\\u0007b\nc");
  });
  it("on 80 columns tweets and likes share one layout; wide text is cut by display width", () => {
    const id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    const base = { id, date: "2026-01-01T00:00:00.000Z", author: "alice" };
    const tweet: TweetEvent = { ...base, messageType: "tweet_created", message: "hello" };
    const like: TweetEvent = { ...base, messageType: "tweet_liked", message: "" };
    const lines = [tweet, like].map((e) => renderEventLine(msg(""), e, plain, 80));
    // the author starts in the same column: same time, type and id columns
    expect(lines.map((l) => l.indexOf("@alice"))).toEqual([
      lines[0]!.indexOf("@alice"),
      lines[0]!.indexOf("@alice"),
    ]);
    expect(lines[1]).toMatch(/ {2}like {3}1b4e28ba… {2}@alice$/);
    for (const text of ["漢字".repeat(60), "😀".repeat(60), "e\u0301".repeat(200)]) {
      const line = renderEventLine(msg(""), { ...tweet, message: text }, plain, 80);
      expect(visibleLength(line), line).toBeLessThanOrEqual(80);
      expect(visibleLength(line), line).toBeGreaterThanOrEqual(78);
      expect(line).toMatch(/…$/);
    }
    // wide terminals: the full layout, whole id, for both
    const wide = [tweet, like].map((e) => renderEventLine(msg(""), e, plain, 200));
    for (const l of wide) expect(l).toContain(id);
    expect(wide[1]).toContain("tweet_liked");
  });
});
