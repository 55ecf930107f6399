// The publishing module: an event or an NDJSON line becomes subject, payload and message id.
// publish --file's fast path (a complete event, its line sent as its own bytes) must give
// exactly what the general path gives: the same event, the same bytes, the same id, and
// the same refusals.

import { describe, expect, it } from "vitest";
import {
  buildLike,
  buildTweet,
  completeEvent,
  fillTemplate,
  decodeEventLine,
  encodeEvent,
  goDateProblem,
  isGoDate,
  messageIdFor,
} from "../../src/events.js";
import {
  publishableEvent,
  publishableLine,
  subjectsOf,
  tweetSeries,
} from "../../src/publishing/publishable.js";

const defaults = { author: "dflt", now: () => new Date("2024-05-06T07:08:09.010Z") };
const subjects = subjectsOf("S");
const utf8 = (s: string) => Buffer.from(s, "utf8");

/** What the general path makes of a line: decodeEventLine, then encodeEvent. */
function slow(line: Uint8Array) {
  const event = decodeEventLine(line, defaults);
  return {
    subject: `S.${event.messageType}`,
    payload: Buffer.from(encodeEvent(event)).toString("utf8"),
    msgID: messageIdFor(event),
  };
}

function fast(line: Uint8Array) {
  const p = publishableLine(subjects, line, defaults);
  return { subject: p.subject, payload: Buffer.from(p.payload).toString("utf8"), msgID: p.msgID };
}

const tweet = {
  messageType: "tweet_created",
  id: "t1",
  message: "hello world !",
  date: "2022-01-07T22:01:27Z",
  author: "ziggornif",
};

describe("publishableEvent", () => {
  it("gives the stream's subject for the type, the Go struct's JSON and the event's id", () => {
    const t = buildTweet({ message: "hi", author: "a", id: "x1" });
    const p = publishableEvent("S", t);
    expect(p.subject).toBe("S.tweet_created");
    expect(JSON.parse(Buffer.from(p.payload).toString())).toEqual(t);
    expect(p.msgID).toBe("x1");
    const l = buildLike({ tweetId: "x1", author: "b" });
    expect(publishableEvent(subjects, l).subject).toBe("S.tweet_liked");
    expect(publishableEvent(subjects, l).msgID).toBe(messageIdFor(l));
    // serve's Idempotency-Key replaces the event's own id
    expect(publishableEvent("S", l, "key-1").msgID).toBe("key-1");
  });
});

describe("publishableLine", () => {
  it("sends a canonical line as its own bytes (no copy)", () => {
    const line = utf8(JSON.stringify(tweet));
    const p = publishableLine(subjects, line, defaults);
    expect(p.payload).toBe(line);
    expect(p.subject).toBe("S.tweet_created");
    expect(p.msgID).toBe("t1");
  });

  it.each([
    ["canonical", JSON.stringify(tweet)],
    ["spaces", JSON.stringify(tweet, null, 1).replace(/\n/g, "")],
    [
      "keys in another order",
      JSON.stringify({
        author: tweet.author,
        date: tweet.date,
        message: tweet.message,
        id: tweet.id,
        messageType: tweet.messageType,
      }),
    ],
    ["an extra key", JSON.stringify({ ...tweet, extra: 1 })],
    ["an escape", JSON.stringify(tweet).replace("hello", "\\u0068ello")],
    ["a slash escaped", JSON.stringify({ ...tweet, message: "a/b" }).replace("/", "\\/")],
    ["a quote", JSON.stringify({ ...tweet, message: 'say "hi"' })],
    ["a lone surrogate", JSON.stringify({ ...tweet, message: "x\ud800y" })],
    ["an emoji", JSON.stringify({ ...tweet, message: "🎉 ok" })],
    ["a like", JSON.stringify({ ...tweet, messageType: "tweet_liked", message: "", author: "" })],
    ["lower-case date", JSON.stringify({ ...tweet, date: "2022-01-07t22:01:27z" })],
    ["an offset", JSON.stringify({ ...tweet, date: "2022-01-07T22:01:27.123456789+01:00" })],
    ["the short form", JSON.stringify({ message: "m", id: "k1" })],
    ["a like in short form", JSON.stringify({ messageType: "tweet_liked", id: "t1" })],
    ["a numeric key", JSON.stringify({ 0: 1, ...tweet })],
    [
      "a duplicated key",
      JSON.stringify(tweet).replace('{"messageType"', '{"id":"zz","messageType"'),
    ],
  ])("%s: the same as the general path", (_what, text) => {
    const line = utf8(text);
    expect(fast(line)).toEqual(slow(line));
    // a line that is a Uint8Array, not a Buffer
    expect(fast(new Uint8Array(line))).toEqual(slow(line));
  });

  it("a line starting with a byte order mark: the same as the general path", () => {
    const line = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(JSON.stringify(tweet))]);
    expect(fast(line)).toEqual(slow(line));
  });

  it.each([
    ["not JSON", "{nope"],
    ["not an object", "[1]"],
    ["an empty tweet", JSON.stringify({ ...tweet, message: " " })],
    ["a tweet without author", JSON.stringify({ ...tweet, author: "" })],
    ["an id with a space", JSON.stringify({ ...tweet, id: "a b" })],
    ["no such day", JSON.stringify({ ...tweet, date: "2023-02-29T00:00:00Z" })],
    ["ten fraction digits", JSON.stringify({ ...tweet, date: "2022-01-07T22:01:27.1234567890Z" })],
    ["a bad type", JSON.stringify({ ...tweet, messageType: "other" })],
    ["a number for a message", JSON.stringify({ ...tweet, message: 5 })],
    ...[
      ["a byte 0xff", [0xff]],
      ["an encoded surrogate", [0xed, 0xa0, 0x80]],
      ["an overlong slash", [0xc0, 0xaf]],
      ["a cut sequence", [0xe2, 0x82]],
    ].map(([what, bad]): [string, Uint8Array] => {
      const [head, tail] = JSON.stringify(tweet).split("hello");
      return [
        `invalid UTF-8: ${what}`,
        Buffer.concat([utf8(head!), Buffer.from(bad as number[]), utf8(tail!)]),
      ];
    }),
  ])("%s: refused with exit 2 and the general path's reason", (_what, text) => {
    const line = typeof text === "string" ? utf8(text) : text;
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return { message: (err as Error).message, exit: (err as { exitCode: number }).exitCode };
      }
      return null;
    };
    const expected = reason(() => slow(line));
    expect(expected).not.toBeNull();
    expect(reason(() => fast(line))).toEqual(expected);
    expect(expected!.exit).toBe(2);
  });
});

describe("isGoDate agrees with goDateProblem", () => {
  it("on edge cases and on random dates", () => {
    const samples = [
      "2022-01-07T22:01:27Z",
      "2024-02-29T00:00:00+01:00",
      "2023-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2000-02-29T00:00:00Z",
      "2022-12-31T23:59:59-23:59",
      "2022-12-31T23:59:59-24:00",
      "2022-12-31T23:59:59+23:60",
      "2022-01-07T24:00:00Z",
      "2022-01-07T23:60:00Z",
      "2022-01-07T23:59:60Z",
      "2022-01-07T22:01:27.Z",
      "2022-01-07T22:01:27.123456789Z",
      "2022-01-07T22:01:27.1234567890Z",
      "2022-01-07T22:01:27",
      "2022-01-07T22:01:27z",
      "2022-01-07 22:01:27Z",
      "2022-00-07T22:01:27Z",
      "2022-13-07T22:01:27Z",
      "2022-01-00T22:01:27Z",
      "2022-01-32T22:01:27Z",
      "2022-04-31T22:01:27Z",
      "+022-01-07T22:01:27Z",
      "2022-01-07T22:01:27+0100",
      "2022-01-07T22:01:27Z ",
      "0000-01-01T00:00:00Z",
    ];
    // random mutations of a valid date: every character replaced by one of a few others
    const base = "2024-02-29T23:59:59.5+23:59";
    const chars = "0123456789-:T.Z+z ";
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let k = 0; k < 5000; k++) {
      const a = base.split("");
      for (let m = 0; m < 1 + rand(3); m++) a[rand(a.length)] = chars[rand(chars.length)]!;
      samples.push(a.join("").slice(0, 20 + rand(8)));
    }
    for (const d of samples) expect([d, isGoDate(d)]).toEqual([d, goDateProblem(d) === null]);
  });

  it("every date it accepts is one Date.parse reads (eventProblem's check)", () => {
    for (const d of ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-23:59"])
      expect(isGoDate(d) && !Number.isNaN(Date.parse(d))).toBe(true);
  });

  it("completeEvent leaves anything to fill in or fix to eventForPublish", () => {
    expect(completeEvent(tweet)).toEqual(tweet);
    expect(completeEvent({ ...tweet, date: "2022-01-07t22:01:27z" })).toBeNull();
    expect(completeEvent({ message: "m" })).toBeNull();
    expect(completeEvent(null)).toBeNull();
    expect(completeEvent([tweet])).toBeNull();
  });
});

describe("tweetSeries (tweet --count)", () => {
  const templates = [
    { message: "hello {{n}} !", author: "alice" },
    { message: "{{n}}", author: "bob", id: "seed-{{n}}" },
    { message: 'quote " back \\ slash {{n}}{{n}} tab\t nl\n ctl\u0001 {{n', author: 'é "x"' },
    { message: "emoji 🐦 {{n}} ü \u2028 \u2029 </script>", author: "ziggornif", id: 'i-{{n}}-ü"' },
    { message: "no template", author: "x", id: "{{n}}" },
  ];
  for (const t of templates) {
    it(`builds what buildTweet + publishableEvent build: ${JSON.stringify(t)}`, () => {
      let clock = Date.parse("2024-05-06T07:08:09.010Z");
      const series = tweetSeries(subjects, t, () => clock);
      for (const n of [1, 2, 9, 10, 99, 12345, 1_000_000]) {
        clock += n % 3; // the same millisecond now and then
        const got = series(n);
        const event = buildTweet({
          message: fillTemplate(t.message, n),
          author: t.author,
          id:
            t.id === undefined
              ? JSON.parse(Buffer.from(got.payload).toString()).id
              : fillTemplate(t.id, n),
          date: new Date(clock),
        });
        const want = publishableEvent(subjects, event);
        expect(got.subject).toBe(want.subject);
        expect(Buffer.from(got.payload).toString("utf8")).toBe(
          Buffer.from(want.payload).toString("utf8"),
        );
        expect(got.msgID).toBe(want.msgID);
      }
    });
  }
  it("a new UUID per tweet without --id; the checks of tweet run on the first", () => {
    const series = tweetSeries(subjects, { message: "m {{n}}", author: "a" });
    const ids = new Set(Array.from({ length: 1000 }, (_, i) => series(i + 1).msgID));
    expect(ids.size).toBe(1000);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(() => tweetSeries(subjects, { message: "m", author: " " })).toThrow(/author/);
    expect(() => tweetSeries(subjects, { message: "m", author: "a", id: "a b{{n}}" })).toThrow(
      /whitespace/,
    );
  });
});
