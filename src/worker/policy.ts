// What `listen --exec` does with an event once its handler ended: the retry policy as
// plain data, so it can be tested without a server. Exit 0 → ack; a failure → nak with
// the backoff of this attempt, so the event comes back after it; the failure of the last
// allowed attempt → terminate (AckTerm): the event is given up, a dead letter.

import { usageError } from "../errors.js";
import { parseDuration } from "../parse.js";

export const DEFAULT_BACKOFF = "1s,5s,30s";
/** attempts when neither --max-deliver nor the consumer's max_deliver says */
export const DEFAULT_ATTEMPTS = 5;

export type Decision =
  { kind: "ack" } | { kind: "nak"; delayMs: number } | { kind: "term"; attempts: number };

/** "1s,5s,30s" → [1000, 5000, 30000]; each delay 0 or more. */
export function parseBackoff(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === "")) {
    throw usageError(`invalid --backoff "${text}": durations separated by commas, e.g. 1s,5s,30s`);
  }
  return parts.map((p) => parseDuration(p, "--backoff", { zero: true }));
}

/** The delay before the next attempt after failed attempt `delivered` (1-based); the last delay repeats. */
export function backoffDelay(backoffMs: readonly number[], delivered: number): number {
  const i = Math.min(Math.max(delivered, 1), backoffMs.length) - 1;
  return backoffMs[i] ?? 0;
}

/**
 * How many attempts an event gets: --max-deliver, else the consumer's own max_deliver
 * when it has one, else DEFAULT_ATTEMPTS.
 */
export function attemptsAllowed(flag: number | undefined, consumerMax: number | undefined): number {
  if (flag !== undefined && flag > 0) return flag;
  if (flag === undefined && consumerMax !== undefined && consumerMax > 0) return consumerMax;
  return flag === -1 ? Infinity : DEFAULT_ATTEMPTS;
}

/** The decision for an event whose handler ended (ok) on its `delivered`-th delivery. */
export function decide(
  ok: boolean,
  delivered: number,
  attempts: number,
  backoffMs: readonly number[],
): Decision {
  if (ok) return { kind: "ack" };
  if (delivered >= attempts) return { kind: "term", attempts: delivered };
  return { kind: "nak", delayMs: backoffDelay(backoffMs, delivered) };
}
