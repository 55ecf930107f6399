// Renderings of stored messages and events, for view and listen: the human forms
// (a block per message for view, a line per event for listen, coloured by messageType
// on a terminal), the NDJSON records of --json, and the raw payload of --raw.

import type { ChalkInstance } from "chalk";
import { parseEventPayload, type TweetEvent } from "../events.js";
import { ellipsize, formatTime, visibleLength } from "./format.js";

/** A message as read from the stream (nats/messages.ts builds it from a JsMsg). */
export interface StoredMessage {
  stream: string;
  seq: number;
  subject: string;
  /** when the stream stored it */
  time: Date;
  data: Uint8Array;
  /** NATS headers, when the message has any */
  headers?: Record<string, string[]>;
  /** listen: how many times this message was delivered (1 the first time) */
  delivered?: number;
}

const decoder = new TextDecoder();

export function payloadText(msg: StoredMessage): string {
  return decoder.decode(msg.data);
}

/** The payload parsed as JSON when it is a JSON object, else null. */
export function payloadObject(msg: StoredMessage): Record<string, unknown> | null {
  // only text starting with "{" (after whitespace) can be an object: skip the parse otherwise
  let i = 0;
  while (
    i < msg.data.length &&
    (msg.data[i] === 0x20 || (msg.data[i]! >= 0x09 && msg.data[i]! <= 0x0d))
  )
    i++;
  if (msg.data[i] !== 0x7b) return null;
  try {
    const value: unknown = JSON.parse(payloadText(msg));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The payload as an event, or null when it is not one. */
export function payloadEvent(msg: StoredMessage): TweetEvent | null {
  return parseEventPayload(msg.data);
}

function base(msg: StoredMessage): Record<string, unknown> {
  return {
    stream: msg.stream,
    seq: msg.seq,
    subject: msg.subject,
    time: msg.time.toISOString(),
  };
}

function withPayload(
  record: Record<string, unknown>,
  msg: StoredMessage,
  event: unknown,
): Record<string, unknown> {
  if (event !== null && event !== undefined) record.event = event;
  else record.data = payloadText(msg);
  if (msg.headers) record.headers = msg.headers;
  return record;
}

/** view --json: {stream, seq, subject, time, event | data, headers?}. */
export function viewRecord(msg: StoredMessage): Record<string, unknown> {
  return withPayload(base(msg), msg, payloadObject(msg));
}

/**
 * viewRecord as one NDJSON line, built by hand for speed: a JSON object payload that is
 * already on one line goes in as it is stored (it was parsed, so it is valid JSON).
 */
export function viewLine(msg: StoredMessage): string {
  const object = payloadObject(msg);
  if (!object) return JSON.stringify(viewRecord(msg));
  const text = payloadText(msg);
  const event = /[\r\n]/.test(text) ? JSON.stringify(object) : text.trim();
  const headers = msg.headers ? `,"headers":${JSON.stringify(msg.headers)}` : "";
  return (
    `{"stream":${JSON.stringify(msg.stream)},"seq":${msg.seq},"subject":${JSON.stringify(msg.subject)},` +
    `"time":"${msg.time.toISOString()}","event":${event}${headers}}`
  );
}

/**
 * listen --json, one NDJSON line: {stream, seq, subject, time, consumer, delivered,
 * redelivered, event | data, headers?}; `event` only for a valid event, malformed payloads
 * as `data`. Written by hand: this runs for every event of a backlog.
 */
export function listenLine(msg: StoredMessage, consumer: string, event: TweetEvent | null): string {
  const delivered = msg.delivered ?? 1;
  const payload = event
    ? `"event":${JSON.stringify(event)}`
    : `"data":${JSON.stringify(payloadText(msg))}`;
  const headers = msg.headers ? `,"headers":${JSON.stringify(msg.headers)}` : "";
  return (
    `{"stream":${JSON.stringify(msg.stream)},"seq":${msg.seq},"subject":${JSON.stringify(msg.subject)},` +
    `"time":"${msg.time.toISOString()}","consumer":${JSON.stringify(consumer)},` +
    `"delivered":${delivered},"redelivered":${delivered > 1},${payload}${headers}}`
  );
}

/** Terminal control characters in payloads must not drive the user's terminal. */
function printable(text: string, keepNewlines: boolean): string {
  const re = keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f]/g : /[\u0000-\u001f\u007f]/g;
  return text.replace(re, (c) =>
    c === "\n" ? "\\n" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
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

/** view, human: a header line (sequence, subject, stored time), headers, the pretty payload. */
export function renderViewMessage(msg: StoredMessage, color: ChalkInstance): string {
  const object = payloadObject(msg);
  const type = typeof object?.messageType === "string" ? object.messageType : undefined;
  const paint = typeColor(color, object ? type : "");
  const head =
    paint(color.bold(`[${msg.seq}] ${printable(msg.subject, false)}`)) +
    color.dim(`  ${formatTime(msg.time)}`);
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

/** Columns an id keeps in the compact line when the full id would leave too little message. */
const SHORT_ID = 8;
/** The message's columns below which the compact line shortens the id. */
const MIN_MESSAGE = 20;

/**
 * listen, human: one line per event — time, type, id, author, message (a like's empty
 * message shows nothing: the id already says which tweet). On a terminal `width` wide a
 * line that does not fit is made compact (short time, type "tweet" / "like", and when
 * needed a shortened id) and its message cut with "…"; without a width it is never cut.
 */
export function renderEventLine(
  msg: StoredMessage,
  event: TweetEvent,
  color: ChalkInstance,
  width?: number,
): string {
  const paint = typeColor(color, event.messageType);
  const id = printable(event.id, false);
  const author = `@${printable(event.author, false)}`;
  const message = printable(event.message, false);
  const again = (msg.delivered ?? 1) > 1 ? ` (delivery ${msg.delivered})` : "";
  const date = new Date(event.date);
  const line = (time: string, type: string, shownId: string, text: string) =>
    `${color.dim(time)}  ${paint(type)}  ${shownId}  ${color.bold(author)}` +
    (text ? `  ${text}` : "") +
    (again ? color.dim(again) : "");
  const full = line(formatTime(date), event.messageType.padEnd(13), id, message);
  if (width === undefined || visibleLength(full) <= width) return full;
  const type = (event.messageType === "tweet_liked" ? "like" : "tweet").padEnd(5);
  const time = shortTime(date);
  const room = (shownId: string) =>
    width - visibleLength(line(time, type, shownId, "")) - (message ? 2 : 0);
  const shownId = room(id) >= MIN_MESSAGE || !message ? id : ellipsize(id, SHORT_ID + 1);
  return line(time, type, shownId, message ? ellipsize(message, Math.max(room(shownId), 1)) : "");
}

/** listen, human, a payload that is not an event: sequence, subject and the raw text. */
export function renderMalformedLine(
  msg: StoredMessage,
  color: ChalkInstance,
  width?: number,
): string {
  const head = `#${msg.seq} ${printable(msg.subject, false)}`;
  const text = printable(payloadText(msg), false);
  const room = width === undefined ? Infinity : width - head.length - 2;
  return `${color.dim(head)}  ${room === Infinity ? text : ellipsize(text, Math.max(room, 1))}`;
}

/** --raw: the payload as it is stored, one per line. */
export function rawPayload(msg: StoredMessage): string {
  return payloadText(msg);
}
