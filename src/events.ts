// The event model of the article's app: the Event shape (its Go struct's JSON),
// builders, validation, parsing, subjects and message ids. Pure: no I/O, no NATS.

import { createHash, randomUUID } from "node:crypto";
import { usageError } from "./errors.js";
import { validateSubject } from "./parse.js";

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
  return typeof value === "string" && (MESSAGE_TYPES as readonly string[]).includes(value);
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

/** Why a value is not an event, or null when it is one. */
export function eventProblem(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return "not a JSON object";
  const v = value as Record<string, unknown>;
  if (!isMessageType(v.messageType))
    return `messageType must be one of ${MESSAGE_TYPES.join(", ")}`;
  if (typeof v.id !== "string" || v.id.length === 0) return "id must be a non-empty string";
  if (/\s/.test(v.id)) return "id must not contain whitespace";
  if (typeof v.message !== "string") return "message must be a string";
  if (v.messageType === "tweet_created" && v.message.trim().length === 0)
    return "message must not be empty";
  if (typeof v.date !== "string" || !RFC3339.test(v.date) || Number.isNaN(Date.parse(v.date))) {
    return "date must be an RFC 3339 timestamp, e.g. 2022-01-07T22:01:27.000Z";
  }
  if (typeof v.author !== "string" || v.author.trim().length === 0)
    return "author must be a non-empty string";
  return null;
}

/** The event inside a parsed value (only the five fields, in the Go struct's order), or throws exit 2. */
export function toEvent(value: unknown): TweetEvent {
  const problem = eventProblem(value);
  if (problem) throw usageError(`invalid event: ${problem}`);
  const v = value as TweetEvent;
  return {
    messageType: v.messageType,
    id: v.id,
    message: v.message,
    date: v.date,
    author: v.author,
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A stored payload as an event, or null when it is not one (malformed messages are shown raw). */
export function parseEventPayload(data: Uint8Array | string): TweetEvent | null {
  try {
    const text = typeof data === "string" ? data : strictUtf8.decode(data);
    const value: unknown = JSON.parse(text);
    return eventProblem(value) === null ? toEvent(value) : null;
  } catch {
    return null;
  }
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
  return new TextEncoder().encode(JSON.stringify(event));
}
