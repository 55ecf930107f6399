// The one bounded retry for JetStream calls. A call that got no responders, timed out,
// or was told "duplicate message id is in process" may succeed a moment later (a stream
// or meta leader election, a paused server, a publish still being stored): it is tried
// again, with a short backoff, until the retry budget runs out. Then the caller gets a
// RetryBudgetExceeded (exit 6 "no JetStream answer within Ns") instead of a wrong
// diagnosis. Everything permanent is thrown at once.
//
// The budget is RETRY_BUDGET_FACTOR × --timeout: 15 s with the default --timeout of 5 s,
// long enough for a normal JetStream election (5–7 s), and a few seconds in tests that
// pass a small --timeout.

import { sleep } from "../util/time.js";
import { isTransient, RetryBudgetExceeded } from "./errors.js";

export { isTransient, RetryBudgetExceeded, transientReason } from "./errors.js";

/** Retry budget = this × --timeout (per-attempt timeout). */
export const RETRY_BUDGET_FACTOR = 3;

/** How long a JetStream call may keep being retried, from its first attempt. */
export function retryBudgetMs(timeoutMs: number): number {
  return RETRY_BUDGET_FACTOR * timeoutMs;
}

export interface RetryAttempt {
  /** 0 for the first try */
  attempt: number;
  /** ms left in the budget (an attempt may use min(--timeout, this)) */
  remainingMs: number;
}

export interface RetryOptions {
  budgetMs: number;
  /** before each wait: the transient failure and the attempt that got it */
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
  /** stop retrying (Ctrl-C): the last failure is thrown as RetryBudgetExceeded */
  signal?: AbortSignal;
  /** when the budget started (performance.now()): a first attempt made before this call */
  startedAt?: number;
  /**
   * which transient failures are tried again (default: all). A write that timed out may
   * have been stored: a caller that must not send it again unseen retries less.
   */
  retrying?(err: unknown): boolean;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

function backoff(attempt: number): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5)); // jitter: retries do not march in step
}

/**
 * Runs `fn` until it succeeds, fails permanently (thrown as is), or keeps failing
 * transiently past the budget (thrown as RetryBudgetExceeded). The same call is repeated:
 * a publish keeps its Nats-Msg-Id, so a retry is never stored twice.
 */
export async function withJsRetry<T>(
  fn: (a: RetryAttempt) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const deadline = (opts.startedAt ?? performance.now()) + opts.budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn({ attempt, remainingMs: Math.max(1, deadline - performance.now()) });
    } catch (err) {
      if (!isTransient(err) || opts.retrying?.(err) === false) throw err;
      const left = deadline - performance.now();
      const stopped = opts.signal?.aborted ?? false;
      if (left <= 0 || stopped)
        throw new RetryBudgetExceeded(err, opts.budgetMs, attempt + 1, stopped);
      const delay = Math.min(backoff(attempt), left);
      opts.onRetry?.(err, attempt, delay);
      // no abort listener per wait: hundreds of publishes may wait at once; a stop is seen
      // when the wait (at most MAX_DELAY_MS) ends
      await sleep(delay);
      if (opts.signal?.aborted)
        throw new RetryBudgetExceeded(err, opts.budgetMs, attempt + 1, true);
    }
  }
}
