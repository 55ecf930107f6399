// What `serve` accepts from a client, checked before anything is published: content
// types, JSON bodies and their fields, query parameters, Idempotency-Key. Each problem
// is an HttpError with the status the README documents. Pure, unit-tested.

import { createHash } from "node:crypto";
import { HttpError } from "./http-error.js";

/** A tweet's message, in characters (code points), as the article's app would show it. */
export const MAX_MESSAGE_CHARS = 280;
export const MAX_AUTHOR_CHARS = 64;
export const MAX_IDEMPOTENCY_KEY = 255;
export const DEFAULT_TIMELINE_LIMIT = 50;
export const MAX_TIMELINE_LIMIT = 1000;
/** A like without an author (the body is optional) is anonymous. */
export const ANONYMOUS = "anonymous";

export interface TweetInput {
  message: string;
  author: string;
}

/** 415 unless the body is JSON in UTF-8 (application/json or application/*+json). */
export function checkJsonContentType(header: string | undefined): void {
  const [type = "", ...params] = (header ?? "").split(";").map((s) => s.trim().toLowerCase());
  const json = type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  const charset = params
    .find((p) => p.startsWith("charset="))
    ?.slice(8)
    .replace(/"/g, "");
  if (!json || (charset !== undefined && charset !== "utf-8" && charset !== "utf8")) {
    throw new HttpError(
      415,
      `unsupported content type ${header ? `"${header}"` : "(none)"}: send application/json`,
    );
  }
}

/** The JSON value of a body, or 400. */
export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, "the body is not valid UTF-8");
  }
  if (text.trim() === "") throw new HttpError(400, "the body is empty: send a JSON object");
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "the body is not valid JSON");
  }
}

function asObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "the body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function textField(
  obj: Record<string, unknown>,
  name: string,
  max: number,
  { singleLine }: { singleLine: boolean },
): string {
  const v = obj[name];
  if (v === undefined || v === null) throw new HttpError(400, `${name} is required`);
  if (typeof v !== "string") throw new HttpError(400, `${name} must be a string`);
  if (v.trim() === "") throw new HttpError(400, `${name} must not be empty`);
  if (chars(v) > max) throw new HttpError(400, `${name} is longer than ${max} characters`);
  // control characters other than newline and tab would corrupt terminals showing it
  const bad = singleLine ? /[\u0000-\u001f\u007f]/ : /[\u0000-\u0008\u000b-\u001f\u007f]/;
  if (bad.test(v)) throw new HttpError(400, `${name} must not contain control characters`);
  return v;
}

/** {"message", "author"} of POST /tweets. */
export function tweetInput(value: unknown): TweetInput {
  const obj = asObject(value);
  return {
    message: textField(obj, "message", MAX_MESSAGE_CHARS, { singleLine: false }),
    author: textField(obj, "author", MAX_AUTHOR_CHARS, { singleLine: true }).trim(),
  };
}

/** The optional {"author"} of POST /tweets/:id/likes (undefined: no body). */
export function likeAuthor(value: unknown): string {
  if (value === undefined) return ANONYMOUS;
  const obj = asObject(value);
  if (obj.author === undefined) return ANONYMOUS;
  return textField(obj, "author", MAX_AUTHOR_CHARS, { singleLine: true }).trim();
}

/** A tweet id in a path: what `tweet` would accept as an id. */
export function tweetIdParam(id: string): string {
  if (id === "" || /\s/.test(id) || id.length > 256) {
    throw new HttpError(404, "tweet not found");
  }
  return id;
}

function queryInt(
  query: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

/** ?limit= (default 50, 1…1000) and ?before= (a sequence: tweets stored before it). */
export function timelineQuery(query: URLSearchParams): { limit: number; before?: number } {
  const limit = queryInt(query, "limit", 1, MAX_TIMELINE_LIMIT) ?? DEFAULT_TIMELINE_LIMIT;
  const before = queryInt(query, "before", 1, Number.MAX_SAFE_INTEGER);
  return before === undefined ? { limit } : { limit, before };
}

/** An Idempotency-Key header: 1–255 visible ASCII characters, or 400. */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(",") : header;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(key)) {
    throw new HttpError(
      400,
      `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} visible ASCII characters`,
    );
  }
  return key;
}

/**
 * The tweet id an Idempotency-Key stands for: a UUID-shaped hash of the stream and the
 * key, so every retry publishes the same id (the same Nats-Msg-Id, deduplicated by
 * JetStream inside its window) and the timeline recognises it beyond the window.
 */
export function tweetIdForKey(stream: string, key: string): string {
  const h = createHash("sha256").update(`${stream}\u0000${key}`).digest("hex");
  // version 8 (custom) and the RFC 4122 variant, so it is a well-formed UUID
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The Nats-Msg-Id of a like sent with an Idempotency-Key: a hash of the stream and the key
 * (apart from a tweet's with the same key), so every retry publishes the same message id
 * and JetStream stores the like once inside its duplicate window.
 */
export function likeMessageIdForKey(stream: string, key: string): string {
  const h = createHash("sha256").update(`${stream}\u0000like\u0000${key}`).digest("hex");
  return `like-key-${h.slice(0, 40)}`;
}
