// Renderings of stored messages and events, for view and listen: the human forms
// (a block per message for view, a line per event for listen, coloured by messageType
// on a terminal), the NDJSON records of --json, and the raw payload of --raw.

import type { ChalkInstance } from "chalk";
import { payloadText, readMessage, type StoredMessage } from "../domain/stored-message.js";
import { displayAuthor, type StoredReading, type TweetEvent } from "../events.js";
import { ellipsize, formatTime, visibleLength } from "./format.js";
import { safeText } from "./safe-text.js";

// the message itself is the domain's (domain/stored-message.ts); re-exported for old importers
export { payloadText, readMessage, type StoredMessage };

function base(msg: StoredMessage): Record<string, unknown> {
  return {
    stream: msg.stream,
    seq: msg.seq,
    subject: msg.subject,
    time: msg.time.toISOString(),
  };
}

/** The stored object with the inferred messageType first (in place of a null or "" one). */
function typedObject(object: Record<string, unknown>, event: TweetEvent): Record<string, unknown> {
  const { messageType: _, ...rest } = object;
  return { messageType: event.messageType, ...rest };
}

/** `type_inferred` (only when true): the payload has no messageType, its subject gave the type. */
function inferredField(reading: StoredReading): string {
  return reading.event && reading.typeInferred ? `,"type_inferred":true` : "";
}

/**
 * view --json: {stream, seq, subject, time, event | data, type_inferred?, headers?}. `event` is
 * the payload as stored when it is a JSON object; an event typed from its subject gets its
 * messageType first, and `type_inferred: true`.
 */
export function viewRecord(
  msg: StoredMessage,
  reading = readMessage(msg),
): Record<string, unknown> {
  const record = base(msg);
  const { object, event } = reading;
  if (!object) record.data = payloadText(msg);
  else if (event && reading.typeInferred) {
    record.event = typedObject(object, event);
    record.type_inferred = true;
  } else record.event = object;
  if (msg.headers) record.headers = msg.headers;
  return record;
}

/**
 * viewRecord as one NDJSON line, built by hand for speed: a JSON object payload that is
 * already on one line goes in as it is stored (it was parsed, so it is valid JSON).
 */
export function viewLine(msg: StoredMessage, reading = readMessage(msg)): string {
  const headers = msg.headers ? `,"headers":${JSON.stringify(msg.headers)}` : "";
  const head =
    `{"stream":${JSON.stringify(msg.stream)},"seq":${msg.seq},"subject":${JSON.stringify(msg.subject)},` +
    `"time":"${msg.time.toISOString()}",`;
  const { object } = reading;
  if (!object) return `${head}"data":${JSON.stringify(payloadText(msg))}${headers}}`;
  let event: string;
  if (reading.event && reading.typeInferred) {
    event = JSON.stringify(typedObject(object, reading.event));
  } else {
    const text = payloadText(msg);
    event = /[\r\n]/.test(text) ? JSON.stringify(object) : text.trim();
  }
  return `${head}"event":${event}${inferredField(reading)}${headers}}`;
}

/** The event's fields, in the order of the Go struct (events.ts pickEvent), as JSON writes them. */
const EVENT_KEYS = ["messageType", "id", "message", "date", "author"] as const;

/**
 * The event of a reading as JSON: JSON.stringify(reading.event), or the stored payload itself
 * when it is exactly that text, the form tweetstream and the article's app write (a
 * stringify less per event). It is when the stored object holds the five fields, strings, in
 * that order and nothing else, and the payload (UTF-8, so no lone surrogate) has no backslash
 * (so no value needs an escape) and the length of `{"k":"v",…}` with those values (so no
 * blank, no key twice).
 */
function eventJson(msg: StoredMessage, reading: StoredReading & { event: TweetEvent }): string {
  if (!reading.typeInferred) {
    let n = 0;
    let length = 2 + EVENT_KEYS.length - 1;
    for (const key in reading.object) {
      const value = reading.object[key];
      if (key !== EVENT_KEYS[n] || typeof value !== "string") {
        n = -1;
        break;
      }
      length += key.length + value.length + 5;
      n++;
    }
    if (n === EVENT_KEYS.length) {
      const text = payloadText(msg);
      if (text.length === length && !text.includes("\\")) return text;
    }
  }
  return JSON.stringify(reading.event);
}

/**
 * listen --json, one NDJSON line: {stream, seq, subject, time, consumer, delivered,
 * redelivered, event | data, type_inferred?, headers?}; `event` only for a valid event (its
 * five fields), malformed payloads as `data`. Written by hand: this runs for every event of a backlog.
 */
export function listenLine(msg: StoredMessage, consumer: string, reading: StoredReading): string {
  const delivered = msg.delivered ?? 1;
  const payload = reading.event
    ? `"event":${eventJson(msg, reading)}${inferredField(reading)}`
    : `"data":${JSON.stringify(payloadText(msg))}`;
  const headers = msg.headers ? `,"headers":${JSON.stringify(msg.headers)}` : "";
  return (
    `{"stream":${JSON.stringify(msg.stream)},"seq":${msg.seq},"subject":${JSON.stringify(msg.subject)},` +
    `"time":"${msg.time.toISOString()}","consumer":${JSON.stringify(consumer)},` +
    `"delivered":${delivered},"redelivered":${delivered > 1},${payload}${headers}}`
  );
}

/** Untrusted text from the stream, made safe for the terminal (safe-text.ts). */
function printable(text: string, keepNewlines: boolean): string {
  return safeText(text, { keepNewlines });
}

function typeColor(color: ChalkInstance, type: string | undefined): (s: string) => string {
  if (type === "tweet_created") return color.green;
  if (type === "tweet_liked") return color.magenta;
  return color.yellow;
}

function headerLines(msg: StoredMessage, color: ChalkInstance): string[] {
  if (!msg.headers) return [];
  return Object.entries(msg.headers).flatMap(([k, values]) =>
    values.map((v) => color.dim(`  ${printable(k, false)}: ${printable(v, false)}`)),
  );
}

/**
 * view, human: a header line (sequence, subject, stored time; the type when the payload does
 * not state it), headers, the pretty payload as stored.
 */
export function renderViewMessage(
  msg: StoredMessage,
  color: ChalkInstance,
  reading = readMessage(msg),
): string {
  const { object, event } = reading;
  const type = event
    ? event.messageType
    : typeof object?.messageType === "string"
      ? object.messageType
      : undefined;
  const paint = typeColor(color, object ? type : "");
  const inferred = event && reading.typeInferred ? color.dim(`  ${event.messageType}`) : "";
  const head =
    paint(color.bold(`[${msg.seq}] ${printable(msg.subject, false)}`)) +
    color.dim(`  ${formatTime(msg.time)}`) +
    inferred;
  const body = object
    ? printable(JSON.stringify(object, null, 2), true)
    : printable(payloadText(msg), true) || color.dim("(empty payload)");
  return [head, ...headerLines(msg, color), body, ""].join("\n") + "\n";
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** A short time for narrow terminals: "22:01:27" today, else "01-07 22:01". */
function shortTime(date: Date, now = new Date()): string {
  const hm = `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  return date.toDateString() === now.toDateString()
    ? `${hm}:${pad2(date.getSeconds())}`
    : `${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${hm}`;
}

/** Columns an id keeps in the compact line on a terminal narrower than WHOLE_ID. */
const SHORT_ID = 8;
/** Terminal columns from which listen's lines use the full layout (time, type, whole id). */
const FULL_LAYOUT = 120;
/** Terminal columns from which the compact layout keeps the whole id. */
const WHOLE_ID = 100;

/**
 * listen, human: one line per event — time, type, id, author (or anonymous), message (a
 * like's empty message shows nothing: the id already says which tweet). On a terminal
 * `width` wide the layout depends on the width only, so tweets and likes line up: below
 * FULL_LAYOUT columns it is compact (short time, type "tweet" / "like", and below WHOLE_ID
 * a shortened id), and a message that does not fit is cut with "…" by display width;
 * without a width nothing is cut.
 */
export function renderEventLine(
  msg: StoredMessage,
  event: TweetEvent,
  color: ChalkInstance,
  width?: number,
): string {
  const paint = typeColor(color, event.messageType);
  const id = printable(event.id, false);
  const author =
    event.author === ""
      ? color.dim(displayAuthor(event))
      : color.bold(`@${printable(event.author, false)}`);
  const message = printable(event.message, false);
  const again = (msg.delivered ?? 1) > 1 ? ` (delivery ${msg.delivered})` : "";
  const date = new Date(event.date);
  const line = (time: string, type: string, shownId: string, text: string) =>
    `${color.dim(time)}  ${paint(type)}  ${shownId}  ${author}` +
    (text ? `  ${text}` : "") +
    (again ? color.dim(again) : "");
  if (width === undefined) {
    return line(formatTime(date), printable(event.messageType, false).padEnd(13), id, message);
  }
  const [time, type, shownId] =
    width >= FULL_LAYOUT
      ? [formatTime(date), printable(event.messageType, false).padEnd(13), id]
      : [
          shortTime(date),
          (event.messageType === "tweet_liked" ? "like" : "tweet").padEnd(5),
          width >= WHOLE_ID ? id : ellipsize(id, SHORT_ID + 1),
        ];
  const room = width - visibleLength(line(time, type, shownId, "")) - 2;
  return line(time, type, shownId, message ? ellipsize(message, Math.max(room, 1)) : "");
}

/** listen, human, a payload that is not an event: sequence, subject and the raw text. */
export function renderMalformedLine(
  msg: StoredMessage,
  color: ChalkInstance,
  width?: number,
): string {
  const head = `#${msg.seq} ${printable(msg.subject, false)}`;
  const text = printable(payloadText(msg), false);
  const room = width === undefined ? Infinity : width - visibleLength(head) - 2;
  return `${color.dim(head)}  ${room === Infinity ? text : ellipsize(text, Math.max(room, 1))}`;
}

/** --raw: the payload as it is stored, one per line. */
export function rawPayload(msg: StoredMessage): string {
  return payloadText(msg);
}
