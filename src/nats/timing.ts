// One timing policy for the NATS layer, derived from --timeout: how long a request waits,
// how long a failing call keeps being retried, how long one attempt that a live peer answers
// at once may take, how long a pull waits at least, and how often a read-back asks again.
// Modules take these from here instead of writing their own literals.

import { retryBudgetMs } from "./retry.js";

/** A live peer answers a create or an info in milliseconds: this long is no answer. */
const ATTEMPT_MS = 2_000;
/** The shortest expiry we give a pull. */
const MIN_PULL_MS = 1_000;
/** How often a read-back (a probe, a wait for a condition) asks again. */
export const POLL_MS = 250;

export interface Timing {
  /** one JetStream API request (and the connect): --timeout */
  requestMs: number;
  /** how long a call that fails transiently keeps being retried, from its first attempt */
  retryBudgetMs: number;
  /** one attempt that a live peer answers at once (reader consumers' creates, probes, reads) */
  attemptMs: number;
  /** the pause between two asks of a read-back or of a wait for a condition */
  pollMs: number;
}

/** The policy for a --timeout of `timeoutMs`. */
export function timingFor(timeoutMs: number): Timing {
  return {
    requestMs: timeoutMs,
    retryBudgetMs: retryBudgetMs(timeoutMs),
    attemptMs: Math.min(ATTEMPT_MS, timeoutMs),
    pollMs: POLL_MS,
  };
}

/** A pull's expiry for a caller that waits `waitMs` (never below MIN_PULL_MS). */
export function pullExpiryMs(waitMs: number): number {
  return Math.max(MIN_PULL_MS, waitMs);
}
