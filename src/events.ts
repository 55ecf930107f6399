// The event model of the article's app: the Event shape (its Go struct's JSON),
// builders, validation, parsing, subjects and message ids. Pure: no I/O, no NATS.

import { createHash, randomUUID } from "node:crypto";
import { usageError } from "./errors.js";
import { validateSubject } from "./parse.js";
import { goDateProblem, isGoDate } from "./go-date.js";

export { goDateProblem, isGoDate };

export const MESSAGE_TYPES = ["tweet_created", "tweet_liked"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The JSON the article's Go app marshals: json tags messageType, id, message, date, author. */
export interface TweetEvent {
  messageType: MessageType;
  id: string;
  message: string;
  /** RFC 3339 UTC, as Date.toISOString() gives */
  date: string;
  author: string;
}

export function isMessageType(value: unknown): value is MessageType {
  // MESSAGE_TYPES, compared without a search (this runs for every event read)
  return value === "tweet_created" || value === "tweet_liked";
}

/** `<STREAM>.tweet_created` / `<STREAM>.tweet_liked`. */
export function subjectFor(stream: string, type: MessageType): string {
  return `${stream}.${type}`;
}

/**
 * A subject as typed by a user: `tweet_created` / `tweet_liked` (or any single
 * token without dots) mean `<STREAM>.<token>`; anything with a dot or a wildcard is taken as is.
 */
export function resolveSubject(stream: string, subject: string): string {
  const s = subject.trim();
  if (s === "") throw usageError("invalid subject: it is empty");
  if (!s.includes(".") && s !== "*" && s !== ">") return validateSubject(`${stream}.${s}`);
  return validateSubject(s);
}

/**
 * The Nats-Msg-Id of an event. A tweet's is its id. A like's is derived from the whole
 * event (type, tweet id, author, date), since one tweet gets many likes.
 */
export function messageIdFor(event: TweetEvent): string {
  if (event.messageType === "tweet_created") return event.id;
  const hash = createHash("sha256")
    .update([event.messageType, event.id, event.author, event.date, event.message].join("\u0000"))
    .digest("hex");
  return `like-${hash.slice(0, 40)}`;
}

export function newTweetId(): string {
  return randomUUID();
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function isRfc3339Date(date: string): boolean {
  return RFC3339.test(date) && !Number.isNaN(Date.parse(date));
}

/**
 * A character `/\s/` matches (and String.prototype.trim removes): ECMAScript's WhiteSpace
 * and LineTerminator, by code unit.
 */
function isSpace(c: number): boolean {
  if (c < 0xa0) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `/\s/.test(s)`, by a scan of code units (no regex per field of every event read). */
function hasSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isSpace(s.charCodeAt(i))) return true;
  return false;
}

/** `s.trim().length === 0`, without the trimmed copy. */
function isBlankText(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

/** Why a value is not an event, or null when it is one. */
export function eventProblem(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return "not a JSON object";
  const v = value as Record<string, unknown>;
  if (!isMessageType(v.messageType))
    return `messageType must be one of ${MESSAGE_TYPES.join(", ")}`;
  if (typeof v.id !== "string" || v.id.length === 0) return "id must be a non-empty string";
  if (hasSpace(v.id)) return "id must not contain whitespace";
  if (typeof v.message !== "string") return "message must be a string";
  if (v.messageType === "tweet_created" && isBlankText(v.message))
    return "message must not be empty";
  // isGoDate: one pass without allocating, for the dates tweetstream itself writes
  if (typeof v.date !== "string" || !(isGoDate(v.date) || isRfc3339Date(v.date))) {
    return "date must be an RFC 3339 timestamp, e.g. 2022-01-07T22:01:27.000Z";
  }
  if (typeof v.author !== "string") return "author must be a string";
  // the article's repository publishes likes with an empty author: an anonymous liker
  if (v.messageType === "tweet_created" && isBlankText(v.author)) return "author must not be empty";
  return null;
}

/** The event inside a parsed value (only the five fields, in the Go struct's order), or throws exit 2. */
export function toEvent(value: unknown): TweetEvent {
  const problem = eventProblem(value);
  if (problem) throw usageError(`invalid event: ${problem}`);
  return pickEvent(value as TweetEvent);
}

/** The five fields of a validated event, in the Go struct's order. */
function pickEvent(v: TweetEvent): TweetEvent {
  return {
    messageType: v.messageType,
    id: v.id,
    message: v.message,
    date: v.date,
    author: v.author,
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder();

/** Who a like is from, for display: an empty author is an anonymous liker. */
export const ANONYMOUS_LIKER = "anonymous";

/** The author as people see it: `anonymous` for a like without one. */
export function displayAuthor(event: TweetEvent): string {
  return event.author === "" ? ANONYMOUS_LIKER : event.author;
}

/** The type a subject names by its last token (`TWITTERCLONE.tweet_liked`), or undefined. */
export function typeFromSubject(subject: string): MessageType | undefined {
  const last = subject.slice(subject.lastIndexOf(".") + 1);
  return isMessageType(last) ? last : undefined;
}

/** A stored message read as an event, by readStoredEvent. */
export type StoredReading =
  | {
      event: TweetEvent;
      /** the payload has no messageType: the type is the subject's last token */
      typeInferred: boolean;
      /** the payload as stored (any extra fields included) */
      object: Record<string, unknown>;
    }
  | {
      event: null;
      /** why it is not an event, as the warnings say it */
      problem: string;
      /** the payload when it is a JSON object (view shows any object), else null */
      object: Record<string, unknown> | null;
    };

function isBlank(byte: number | undefined): boolean {
  return byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);
}

/**
 * THE parser of stored messages, used by every read path (view, listen, serve's timeline,
 * counts and SSE). An event is a JSON object valid as above; one without `messageType`
 * (absent, null or "": the article's Go struct has no such field) takes its type from the
 * subject's last token when that is tweet_created or tweet_liked. Dates are kept as written.
 */
export function readStoredEvent(subject: string, data: Uint8Array | string): StoredReading {
  const text = payloadString(data);
  const unreadable = text === null;
  const source = unreadable ? lenientUtf8.decode(data as Uint8Array) : text;
  // only text starting with "{" (after blanks) can be an object: anything else is parsed
  // only to say what it is
  if (typeof data !== "string" && data[firstNonBlank(data)] !== 0x7b)
    return {
      event: null,
      problem: unreadable ? "not valid UTF-8" : notAnObject(source),
      object: null,
    };
  let object: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(source);
    if (value === null || typeof value !== "object" || Array.isArray(value))
      return {
        event: null,
        problem: unreadable ? "not valid UTF-8" : "not a JSON object",
        object: null,
      };
    object = value as Record<string, unknown>;
  } catch {
    return { event: null, problem: unreadable ? "not valid UTF-8" : "not JSON", object: null };
  }
  // view still shows an object that is not valid UTF-8, but it is not an event
  if (unreadable) return { event: null, problem: "not valid UTF-8", object };
  let value = object;
  let typeInferred = false;
  const stated = object.messageType;
  if (stated === undefined || stated === null || stated === "") {
    const inferred = typeFromSubject(subject);
    if (inferred) {
      value = { ...object, messageType: inferred };
      typeInferred = true;
    }
  }
  const problem = eventProblem(value);
  if (problem) return { event: null, problem, object };
  return { event: pickEvent(value as unknown as TweetEvent), typeInferred, object };
}

/** The payload as text, or null when it is not valid UTF-8. */
function payloadString(data: Uint8Array | string): string | null {
  if (typeof data === "string") return data;
  try {
    return strictUtf8.decode(data);
  } catch {
    return null;
  }
}

function firstNonBlank(data: Uint8Array): number {
  let i = 0;
  while (isBlank(data[i])) i++;
  return i;
}

function notAnObject(text: string): string {
  try {
    JSON.parse(text);
    return "not a JSON object";
  } catch {
    return "not JSON";
  }
}

/**
 * The event a timeline shows for a stored message (serve's projection and SSE), or null:
 * readStoredEvent's event with an anonymous liker named `anonymous`, as serve's own
 * author-less likes are stored.
 */
export function timelineEvent(subject: string, data: Uint8Array | string): TweetEvent | null {
  const { event } = readStoredEvent(subject, data);
  if (!event || event.author !== "") return event;
  return { ...event, author: displayAuthor(event) };
}

export function buildTweet(input: {
  message: string;
  author: string;
  id?: string;
  date?: Date;
}): TweetEvent {
  return toEvent({
    messageType: "tweet_created",
    id: input.id ?? newTweetId(),
    message: input.message,
    date: (input.date ?? new Date()).toISOString(),
    author: input.author,
  });
}

export function buildLike(input: { tweetId: string; author: string; date?: Date }): TweetEvent {
  return toEvent({
    messageType: "tweet_liked",
    id: input.tweetId,
    message: "",
    date: (input.date ?? new Date()).toISOString(),
    author: input.author,
  });
}

/** The payload bytes of an event: the Go struct's JSON. */
export function encodeEvent(event: TweetEvent): Uint8Array {
  // Buffer (a Uint8Array) encodes short strings several times faster than TextEncoder
  return Buffer.from(JSON.stringify(event), "utf8");
}

// ---- publishing: what tweet, like and publish put on the wire ------------------------

/** `{{n}}` in a message or id template: the 1-based index of the event (`tweet --count`). */
export const TEMPLATE_INDEX = "{{n}}";

export function hasTemplate(text: string): boolean {
  return text.includes(TEMPLATE_INDEX);
}

/** The template with every `{{n}}` replaced by `n`. */
export function fillTemplate(template: string, n: number): string {
  return template.split(TEMPLATE_INDEX).join(String(n));
}

/** A tweet id typed by a user (`tweet --id`, `like <tweetId>`): non-empty, no whitespace. */
export function validateEventId(id: string, what = "tweet id"): string {
  if (id.length === 0) throw usageError(`invalid ${what}: it is empty`);
  if (/\s/.test(id))
    throw usageError(`invalid ${what} ${JSON.stringify(id)}: it must not contain whitespace`);
  return id;
}

/** What `publish` fills in on a line that leaves fields out (the documented short form). */
export interface EventDefaults {
  author: string;
  now(): Date;
}

/**
 * A value read from an NDJSON line as the event to publish, or throws exit 2 with the reason.
 * Complete events are published exactly as given (only the five fields, in the Go struct's
 * order; `t`/`z` upper-cased as Go requires). The short form may leave out `messageType`
 * (→ tweet_created), `id` (tweets only → a new UUID), `date` (→ now) and `author` (→ defaults).
 */
export function eventForPublish(value: unknown, defaults: EventDefaults): TweetEvent {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw usageError("invalid event: not a JSON object");
  const v = { ...(value as Record<string, unknown>) };
  v.messageType ??= "tweet_created";
  if (v.id === undefined) {
    if (v.messageType === "tweet_liked")
      throw usageError("invalid event: a tweet_liked event needs the id of the liked tweet");
    v.id = newTweetId();
  }
  v.message ??= "";
  v.author ??= defaults.author;
  if (v.date === undefined) v.date = defaults.now().toISOString();
  else if (typeof v.date === "string") v.date = v.date.toUpperCase();
  const event = toEvent(v);
  const problem = goDateProblem(event.date);
  if (problem) throw usageError(`invalid event: ${problem}`);
  return event;
}

/** One NDJSON line (bytes, without its newline) as the event to publish, or throws exit 2. */
export function decodeEventLine(line: Uint8Array, defaults: EventDefaults): TweetEvent {
  return eventForPublish(parseEventLine(line).value, defaults);
}

/** One NDJSON line's text and its JSON value, or throws exit 2 (invalid UTF-8 or JSON). */
export function parseEventLine(line: Uint8Array): { text: string; value: unknown } {
  let text: string;
  try {
    text = strictUtf8.decode(line);
  } catch {
    throw usageError("invalid UTF-8");
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch (err) {
    // V8 quotes the line in its message: keep the report to one short line
    const reason = (err as Error).message.replace(/\s+/g, " ");
    throw usageError(`invalid JSON: ${reason.length > 100 ? reason.slice(0, 100) + "…" : reason}`);
  }
}

/**
 * The value as the event eventForPublish would make of it, when it is a complete event
 * that needs nothing filled in or changed; else null (eventForPublish then decides, and
 * words the reason). The fast path of publish --file: no copies, no second date parse.
 */
export function completeEvent(value: unknown): TweetEvent | null {
  return hasCompleteEvent(value) ? pickEvent(value) : null;
}

/**
 * The value holds a complete event (its five fields as eventForPublish would keep them;
 * it may hold other keys): completeEvent without the copy.
 */
export function hasCompleteEvent(value: unknown): value is TweetEvent {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const { messageType, id, message, date, author } = value as Record<string, unknown>;
  if (messageType !== "tweet_created" && messageType !== "tweet_liked") return false;
  if (typeof id !== "string" || id.length === 0 || /\s/.test(id)) return false;
  if (typeof message !== "string" || typeof author !== "string") return false;
  if (typeof date !== "string" || !isGoDate(date)) return false;
  return !(messageType === "tweet_created" && (message.trim() === "" || author.trim() === ""));
}
