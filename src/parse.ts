// Parsing of command-line values, in one place: durations and sizes read like the
// nats CLI's (5s, 2m, 1h, 1d; 10MB, 1GiB), counts, stream names, time points.

import { readFileSync } from "node:fs";
import { usageError } from "./errors.js";

const DAY_MS = 86_400_000;

/**
 * natscli's duration units (fisk.ParseDuration), case-sensitive as there: `M` is a month
 * of 30 days and `m` a minute; d/D, w/W and y/Y (365 days) either case; ns, us, ms, s,
 * m, h only in lower case, as Go's time.ParseDuration.
 */
const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: DAY_MS,
  D: DAY_MS,
  w: 7 * DAY_MS,
  W: 7 * DAY_MS,
  M: 30 * DAY_MS,
  y: 365 * DAY_MS,
  Y: 365 * DAY_MS,
};
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|D|w|W|M|y|Y)/g;

/** The longest timer Node can set (setTimeout clamps anything above to 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** 2^63 ns after 1970, the end of JetStream's timestamps and durations. */
const NANOS_LIMIT_MS = 9_223_372_036_854;
/** The longest duration the server keeps (int64 nanoseconds). */
export const MAX_SERVER_DURATION_MS = NANOS_LIMIT_MS;

export interface DurationRange {
  /** 0 is allowed (it means "unlimited" or "now") */
  zero?: boolean;
  /** the longest accepted, ms (default MAX_TIMER_MS: a duration the CLI waits for) */
  max?: number;
}

/** The sum of `text`'s number-unit parts in ms, or undefined when it is not only those. */
function durationParts(text: string): number | undefined {
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(DURATION_PART)) {
    if (match.index !== consumed) return undefined;
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    consumed += match[0].length;
  }
  return text !== "" && consumed === text.length ? total : undefined;
}

/**
 * "1h30m", "5s", "250ms", "1M" (a month) → milliseconds, read as natscli reads them.
 * "0" is zero; any other number without a unit is refused with a hint, as natscli
 * refuses it. Out of range is exit 2: 0 unless `range.zero`, and above `range.max`
 * (by default the longest timer).
 */
export function parseDuration(input: string, what = "duration", range: DurationRange = {}): number {
  const text = input.trim();
  const invalid = (why: string) => usageError(`invalid ${what} "${input}": ${why}`);
  let total: number | undefined;
  if (text === "0") total = 0;
  else if (/^\d+(\.\d+)?$/.test(text))
    throw invalid(`a duration needs a unit; did you mean ${text}s?`);
  else total = durationParts(text);
  if (total === undefined) {
    const lower = durationParts(text.toLowerCase());
    throw invalid(
      lower === undefined
        ? "use a number with a unit, e.g. 500ms, 5s, 2m, 1h, 7d, 1M (month), 1y"
        : "units are case-sensitive as in natscli: ms, s, m (minutes), h, d, w, M (months), y",
    );
  }
  const ms = Math.round(total);
  const max = range.max ?? MAX_TIMER_MS;
  if (ms === 0 && !range.zero) throw invalid("it must be more than 0 (e.g. 500ms, 5s)");
  if (ms > max) throw invalid(`at most ${formatMaxDuration(max)}`);
  return ms;
}

function formatMaxDuration(ms: number): string {
  if (ms === MAX_TIMER_MS) return "24d (2^31 - 1 ms)";
  return `${Math.floor(ms / DURATION_UNITS.y!)}y`;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** "10MB", "512k", "1GiB", "2048" → bytes (binary multiples, as the nats CLI). */
export function parseSize(input: string, what = "size"): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(input.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw usageError(
      `invalid ${what} "${input}": use a number with an optional unit, e.g. 512KB, 10MB, 1GB`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}

/** A whole number ≥ min (default 1). */
export function parseCount(input: string, what = "count", min = 1): number {
  const text = input.trim();
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw usageError(`invalid ${what} "${input}": expected a whole number ≥ ${min}`);
  }
  return Number(text);
}

/** A TCP port: 0 (any free port) to 65535. */
export function parsePort(input: string): number {
  const text = input.trim();
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw usageError(`invalid --port "${input}": expected 0 to 65535 (0 picks a free port)`);
  }
  return Number(text);
}

/** A limit where -1 (or "unlimited") means no limit, as in JetStream's configuration. */
export function parseLimit(input: string, parse: (s: string) => number): number {
  const text = input.trim().toLowerCase();
  if (text === "-1" || text === "unlimited") return -1;
  return parse(text);
}

/**
 * A point in time: an RFC 3339 / ISO date, or a duration meaning "that long ago".
 * Returns a Date.
 */
export function parseTimePoint(input: string, what = "time", now = Date.now()): Date {
  const text = input.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const date = new Date(text);
    if (Number.isNaN(date.getTime()))
      throw usageError(`invalid ${what} "${input}": not a valid date`);
    // JetStream keeps times as int64 nanoseconds since 1970: beyond 2262 they wrap around
    if (date.getTime() >= NANOS_LIMIT_MS || date.getTime() < 0)
      throw usageError(`invalid ${what} "${input}": out of range (1970 to 2262)`);
    return date;
  }
  try {
    return new Date(now - parseDuration(text, what, { zero: true, max: now }));
  } catch (err) {
    // a hint about the duration's unit says more than the general one
    if (/did you mean|case-sensitive/.test((err as Error).message)) throw err;
    throw usageError(
      `invalid ${what} "${input}": use a duration (e.g. 10m, 2h) or an RFC 3339 time`,
    );
  }
}

/**
 * Stream names may not be empty nor contain whitespace, dots, wildcards or path separators
 * (the server's rules); checked before contacting the server.
 */
export function validateStreamName(name: string): string {
  if (name.length === 0) throw usageError("invalid stream name: it is empty");
  if (name.length > 255) throw usageError("invalid stream name: longer than 255 characters");
  if (/[\s.*>/\\]/.test(name) || /[\u0000-\u001f\u007f]/.test(name)) {
    throw usageError(
      `invalid stream name "${name}": no spaces, dots, wildcards (* >) or path separators allowed`,
    );
  }
  return name;
}

/**
 * A consumer name (a durable's): what the server accepts, checked before contacting it,
 * so a bad name is a usage error (exit 2), never the client library's internal error.
 */
export function validateConsumerName(name: string, what = "consumer name"): string {
  if (name.length === 0) throw usageError(`invalid ${what}: it is empty`);
  if (/[\s.*>/\\]/.test(name) || /[\u0000-\u001f\u007f]/.test(name)) {
    throw usageError(
      `invalid ${what} "${name}": no spaces, dots, wildcards (* >) or path separators allowed`,
    );
  }
  return name;
}

/**
 * A destructive command with --force names what it removes, as natscli requires: a default
 * (--stream, TWEETSTREAM_STREAM, TWITTERCLONE) is never deleted without a word.
 */
export function requireNameWithForce(
  force: boolean | undefined,
  names: Array<string | undefined>,
  message: string,
): void {
  if (force && names.some((n) => n === undefined || n === "")) throw usageError(message);
}

/** A subject: tokens separated by dots, no whitespace, no empty tokens. Wildcards allowed when asked. */
export function validateSubject(subject: string, { wildcards = true } = {}): string {
  const tokens = subject.split(".");
  const bad =
    subject.length === 0 ||
    /[\s]/.test(subject) ||
    tokens.some((t) => t.length === 0) ||
    tokens.some((t) => t.length > 1 && /[*>]/.test(t)) ||
    tokens.some((t, i) => t === ">" && i !== tokens.length - 1) ||
    (!wildcards && tokens.some((t) => t === "*" || t === ">"));
  if (bad) throw usageError(`invalid subject "${subject}"`);
  return subject;
}

/** Whether a subject filter overlaps `$JS.API.>`, JetStream's own API. */
function overlapsJetStreamApi(subject: string): boolean {
  const [t0, t1, ...rest] = subject.split(".");
  const may = (t: string | undefined, literal: string) => t === literal || t === "*" || t === ">";
  if (t0 === ">") return true;
  if (!may(t0, "$JS") || !may(t1, "API")) return false;
  return t1 === ">" || rest.length > 0;
}

/**
 * A subject a stream may store: valid, and not capturing JetStream's own API requests
 * (`>` or `*.>` would: nats-server 2.9 accepts such a stream and then stores every API
 * request in it instead of answering it).
 */
export function validateStreamSubject(subject: string): string {
  validateSubject(subject);
  if (overlapsJetStreamApi(subject))
    throw usageError(
      `invalid subject "${subject}" for a stream: it would capture JetStream's API ($JS.API.>); name the subjects, e.g. ORDERS.>`,
    );
  return subject;
}

/** Where a new consumer starts: listen's --deliver. */
export type DeliverSpec =
  | { policy: "all" | "new" | "last" }
  | { policy: "sequence"; seq: number }
  | { policy: "time"; time: Date };

/** "all", "new", "last", a stream sequence (42) or a time (RFC 3339, or "10m" ago). */
export function parseDeliver(input: string, what = "--deliver"): DeliverSpec {
  const text = input.trim().toLowerCase();
  if (text === "all" || text === "new" || text === "last") return { policy: text };
  if (/^\d+$/.test(text)) return { policy: "sequence", seq: parseCount(text, what) };
  try {
    return { policy: "time", time: parseTimePoint(input, what) };
  } catch (err) {
    if (/case-sensitive/.test((err as Error).message)) throw err;
    throw usageError(
      `invalid ${what} "${input}": use all, new, last, a stream sequence (e.g. 42) or a time (RFC 3339, or a duration ago such as 10m)`,
    );
  }
}

/**
 * Refuses command-line arguments that are not valid UTF-8 (exit 2), as stdin is refused:
 * Node turns such bytes into U+FFFD, which would be stored. Only when an argument holds
 * U+FFFD are the raw bytes read (/proc/self/cmdline), so a U+FFFD typed on purpose passes.
 */
export function refuseInvalidUtf8(args: string[]): void {
  const suspect = args.find((a) => a.includes("\uFFFD"));
  if (suspect === undefined) return;
  let raw: Buffer | undefined;
  try {
    raw = readFileSync("/proc/self/cmdline");
  } catch {
    // no /proc: judge by the replacement character alone
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const invalid =
    raw === undefined ||
    raw
      .toString("latin1")
      .split("\0")
      .some((arg) => {
        try {
          decoder.decode(Buffer.from(arg, "latin1"));
          return false;
        } catch {
          return true;
        }
      });
  if (invalid)
    throw usageError(
      `an argument is not valid UTF-8 text: "${suspect}" (check the shell's locale or the bytes passed)`,
    );
}
