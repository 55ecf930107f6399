// listen --json's line (src/output/events.ts listenLine): the event is written exactly as
// JSON.stringify writes its five fields, whether the line takes the stored payload as it is
// (the compact form tweetstream and the Go app write) or stringifies the event.

import { describe, expect, it } from "vitest";
import { listenLine, readMessage, type StoredMessage } from "../../src/output/events.js";

const stored = (payload: string, subject = "S.tweet_created"): StoredMessage => ({
  stream: "S",
  seq: 7,
  subject,
  time: new Date("2022-01-07T22:01:27.000Z"),
  data: Buffer.from(payload),
  delivered: 1,
});

const event = {
  messageType: "tweet_created",
  id: "t1",
  message: "hello world",
  date: "2022-01-07T22:01:27.000Z",
  author: "ann",
};

describe("listen --json's event", () => {
  const payloads: Array<[string, string]> = [
    ["compact, as tweetstream writes it", JSON.stringify(event)],
    [
      "non-ASCII text, unescaped",
      JSON.stringify({ ...event, message: "café 😀 ünïcode", author: "zoë" }),
    ],
    ["an escaped newline and quote", JSON.stringify({ ...event, message: 'say "hi"\nbye' })],
    ["an escape stringify would not write", JSON.stringify(event).replace("hello", "h\\u0065llo")],
    ["a slash escaped", JSON.stringify(event).replace("hello", "a\\/b")],
    ["blanks between fields", JSON.stringify(event, null, 1)],
    ["a blank after a colon", JSON.stringify(event).replace('"id":', '"id": ')],
    [
      "fields in another order",
      '{"id":"t1","messageType":"tweet_created","message":"hello world","date":"2022-01-07T22:01:27.000Z","author":"ann"}',
    ],
    ["an extra field", JSON.stringify({ ...event, extra: "x" })],
    ["an extra field first", JSON.stringify({ extra: "x", ...event })],
    ["a key twice", JSON.stringify(event).replace('"id":"t1"', '"id":"t0","id":"t1"')],
    [
      "a key twice, shorter",
      JSON.stringify(event).replace('"author":"ann"', '"author":"","author":"ann"'),
    ],
    [
      "no messageType (typed from the subject)",
      JSON.stringify({ ...event, messageType: undefined }),
    ],
    ["messageType null", JSON.stringify({ ...event, messageType: null })],
    [
      "a like with an empty author",
      JSON.stringify({ ...event, messageType: "tweet_liked", message: "", author: "" }),
    ],
  ];
  for (const [what, payload] of payloads) {
    it(`is JSON.stringify of the event's five fields: ${what}`, () => {
      const msg = stored(payload);
      const reading = readMessage(msg);
      expect(reading.event).not.toBeNull();
      const line = listenLine(msg, "c", reading);
      expect(line).toContain(`,"event":${JSON.stringify(reading.event)}`);
      expect(JSON.parse(line).event).toEqual(reading.event);
    });
  }
});
