// An event as it goes on the wire: its subject, its payload (the Go struct's JSON) and
// its Nats-Msg-Id. The one place an event becomes a publishable message, for tweet, like,
// publish --file and serve's POSTs alike. Pure: no I/O, no NATS.

import { isUtf8 } from "node:buffer";
import {
  buildTweet,
  completeEvent,
  hasCompleteEvent,
  encodeEvent,
  eventForPublish,
  messageIdFor,
  newTweetId,
  parseEventLine,
  subjectFor,
  TEMPLATE_INDEX,
  type EventDefaults,
  type MessageType,
  type TweetEvent,
} from "../events.js";

export interface Publishable {
  subject: string;
  payload: Uint8Array;
  /** Nats-Msg-Id: the same on every retry, so the stream stores the event once */
  msgID: string;
}

/** The subject of each event type on `stream`, made once (not a string per event). */
export function subjectsOf(stream: string): Record<MessageType, string> {
  return {
    tweet_created: subjectFor(stream, "tweet_created"),
    tweet_liked: subjectFor(stream, "tweet_liked"),
  };
}

/** `event` as published on `stream`; `msgID` replaces the event's own (serve's Idempotency-Key). */
export function publishableEvent(
  stream: string | Record<MessageType, string>,
  event: TweetEvent,
  msgID = messageIdFor(event),
): Publishable {
  const subject =
    typeof stream === "string" ? subjectFor(stream, event.messageType) : stream[event.messageType];
  return { subject, payload: encodeEvent(event), msgID };
}

/**
 * A line's text when it is valid UTF-8, else undefined. Checked, then decoded by Buffer:
 * a fatal TextDecoder costs several times more per short line.
 */
function utf8Text(line: Uint8Array): string | undefined {
  if (!isUtf8(line)) return undefined;
  const bytes = Buffer.isBuffer(line)
    ? line
    : Buffer.from(line.buffer, line.byteOffset, line.length);
  return bytes.toString("utf8");
}

/** The length of the Go struct's JSON of an event whose strings need no escapes. */
const FRAME = JSON.stringify({ messageType: "", id: "", message: "", date: "", author: "" }).length;

/** The five keys of an event, in the Go struct's order. */
const KEYS = ["messageType", "id", "message", "date", "author"];

/**
 * `text` is exactly encodeEvent(event): the five keys in order, no whitespace, no escape.
 * `event` is what `text` parses to (a complete event, maybe with other keys): any other
 * spelling of the same JSON (spaces, an escape, another key) is longer than the canonical one.
 */
function isCanonical(text: string, event: TweetEvent): boolean {
  if (text.indexOf("\\") !== -1) return false;
  const length =
    FRAME +
    event.messageType.length +
    event.id.length +
    event.message.length +
    event.date.length +
    event.author.length;
  if (text.length !== length) return false;
  let i = 0;
  for (const key in event) if (key !== KEYS[i++]) return false;
  return i === KEYS.length;
}

/**
 * One NDJSON line of publish --file as the message to publish, or throws exit 2 with the
 * reason (eventForPublish's rules). A complete event written as encodeEvent writes it is
 * published as the line's own bytes: nothing is copied or encoded again.
 */
export function publishableLine(
  subjects: Record<MessageType, string>,
  line: Uint8Array,
  defaults: EventDefaults,
): Publishable {
  let text = utf8Text(line);
  let value: unknown;
  try {
    if (text === undefined) throw new Error("not UTF-8");
    value = JSON.parse(text);
  } catch {
    // the reason, worded as every bad line's; or a line the decoder reads another way (a
    // byte order mark, dropped): not its own bytes then
    text = undefined;
    ({ value } = parseEventLine(line));
  }
  if (!hasCompleteEvent(value)) return publishableEvent(subjects, eventForPublish(value, defaults));
  // the line itself when it is the event's JSON (then the value holds only the five fields)
  if (text !== undefined && isCanonical(text, value))
    return { subject: subjects[value.messageType], payload: line, msgID: messageIdFor(value) };
  return publishableEvent(subjects, completeEvent(value)!);
}

/** A string's JSON without its quotes. */
const jsonInner = (text: string) => JSON.stringify(text).slice(1, -1);

/**
 * tweet --count's messages: the n-th tweet of `message` (and of `id`, both templates where
 * {{n}} is the index), as publishableEvent(buildTweet(...)) makes it, byte for byte, at a
 * fraction of the cost. The first is built by buildTweet, so every check runs on it; the
 * others differ only by the digits of n in place of {{n}} (which change no check's
 * outcome), their id (a new UUID when there is no `id`) and their date (toISOString, once
 * per millisecond). Their JSON is the template's, escaped once, with n written in.
 */
export function tweetSeries(
  subjects: Record<MessageType, string>,
  input: { message: string; author: string; id?: string },
  now: () => number = Date.now,
): (n: number) => Publishable {
  const fill = (template: string, n: number) => template.split(TEMPLATE_INDEX).join(String(n));
  // throws what `tweet` would throw for this input
  buildTweet({
    message: fill(input.message, 1),
    author: input.author,
    id: input.id === undefined ? undefined : fill(input.id, 1),
  });
  const subject = subjects.tweet_created;
  const messageParts = input.message.split(TEMPLATE_INDEX).map(jsonInner);
  const idParts = input.id?.split(TEMPLATE_INDEX);
  const idJsonParts = idParts?.map(jsonInner);
  const tail = `","author":${JSON.stringify(input.author)}}`;
  let lastMs = NaN;
  let date = "";
  return (n) => {
    const digits = String(n);
    const id = idParts ? idParts.join(digits) : newTweetId();
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      date = new Date(ms).toISOString();
    }
    const json =
      '{"messageType":"tweet_created","id":"' +
      (idJsonParts ? idJsonParts.join(digits) : id) +
      '","message":"' +
      messageParts.join(digits) +
      '","date":"' +
      date +
      tail;
    return { subject, payload: Buffer.from(json, "utf8"), msgID: id };
  };
}
