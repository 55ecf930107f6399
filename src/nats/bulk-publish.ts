// Pipelined publishing of many events over the one connection (publish --file,
// tweet --count): up to `window` publishes wait for their JetStream ack at once instead
// of one round trip each. Every event still goes through publish.ts (publishLane: one
// callback for the run, no promise, closure or options object per event), so each one is
// acknowledged, carries its Nats-Msg-Id and is retried with it after a timeout.
// Transient failures (an election, a paused server) are retried by publish.ts within
// the retry budget, so a run waits through them and goes on. Every failure is counted and
// reported with its reason; a permanent one on one subject (permission denied, no stream,
// full stream) fails only that event, and the run goes on with the others unless
// --fail-fast. Only failures every later event would share stop the run: the retry budget
// ran out (no JetStream answer), the connection is gone, no JetStream at all.
// Memory follows the window, not the input: nothing is kept per event. Each publish is a
// plain publish answered on the connection's ack inbox (acked-publish.ts), not a request.

import type { JetStreamClient } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { formatCount } from "../util/count.js";
import type { AckedPublish } from "./acked-publish.js";
import { isPermissionDenied } from "./errors.js";
import { publishLane, publishMessage } from "./publish.js";

/** One unit of input: an event ready to publish, or the reason it cannot be. */
export type BulkItem =
  | { ref: number; subject: string; payload: Uint8Array; msgID: string }
  | { ref: number; error: CliError };

export interface BulkFailure {
  /** where the failure comes from: a line number (publish) or an index (tweet --count) */
  ref: number;
  error: CliError;
}

export interface BulkOptions {
  /** most publishes awaiting their ack at once */
  window: number;
  timeoutMs: number;
  /** retry budget of each publish, ms (default: retryBudgetMs(timeoutMs)) */
  budgetMs?: number;
  expectStream?: string;
  /** stop at the first failure (events already in flight still complete) */
  failFast?: boolean;
  onFailure?(failure: BulkFailure): void;
  /** after each ack or failure, with the running totals */
  onProgress?(summary: Readonly<BulkSummary>): void;
  /** stop reading input (Ctrl-C); publishes already in flight still get their ack */
  signal?: AbortSignal;
  /** how each publish is sent (the connection's acked publisher); default js.publish */
  via?: AckedPublish;
}

export interface BulkSummary {
  /** newly stored */
  published: number;
  /** acknowledged as already stored (same Nats-Msg-Id inside the duplicate window) */
  duplicates: number;
  /** not stored: bad input or a publish that failed */
  failed: number;
  /** lowest and highest stream sequence of the newly stored events */
  firstSeq: number | null;
  lastSeq: number | null;
  /** read from the input but not sent, because the run stopped (fail-fast, fatal, signal) */
  notSent: number;
  /** lines of the input never read, because the run stopped (set by the caller) */
  notRead: number;
  /** the run stopped early (--fail-fast or a failure every later event would share) */
  aborted: boolean;
  /** the run was stopped by a signal before the input ended */
  interrupted: boolean;
  /** the first failure, and the first one that is not bad input (it decides the exit code) */
  firstFailure: BulkFailure | null;
  firstPublishFailure: BulkFailure | null;
  /** the failure that stopped the run, when it was one every later event would share */
  fatal: CliError | null;
}

/**
 * Failures every later publish would share: stop instead of failing them one by one. A
 * permission denied (exit 3 too) concerns one subject; the others go on.
 */
function isFatal(err: CliError): boolean {
  if (err.exitCode === ExitCode.Timeout) return true; // the retry budget ran out
  return err.exitCode === ExitCode.Connection && !isPermissionDenied(err);
}

/** The next batch, or "stopped" once the signal fires: no reaction outlives the wait. */
function nextOrStop<T>(
  iterator: AsyncIterator<T> | Iterator<T>,
  signal: AbortSignal | undefined,
): Promise<IteratorResult<T> | "stopped"> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return resolve("stopped");
    const onAbort = () => resolve("stopped");
    signal?.addEventListener("abort", onAbort, { once: true });
    Promise.resolve(iterator.next()).then(
      (r) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      },
      (err: unknown) => {
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Inputs come in batches so that a large input costs one await per batch, not per event;
 * each becomes its item (`toItem`: validated, encoded) only when it is its turn to be sent.
 * Converting a whole batch first would leave the server idle while the client works, and
 * the client idle while the window drains.
 */
export async function publishPipelined<T>(
  js: JetStreamClient,
  batches: AsyncIterable<T[]> | Iterable<T[]>,
  toItem: (input: T) => BulkItem,
  opts: BulkOptions,
): Promise<BulkSummary> {
  const summary: BulkSummary = {
    published: 0,
    duplicates: 0,
    failed: 0,
    notSent: 0,
    notRead: 0,
    firstSeq: null,
    lastSeq: null,
    aborted: false,
    interrupted: false,
    firstFailure: null,
    firstPublishFailure: null,
    fatal: null,
  };
  const fail = (ref: number, error: CliError, fromPublish: boolean) => {
    summary.failed++;
    const failure = { ref, error };
    summary.firstFailure ??= failure;
    if (fromPublish) summary.firstPublishFailure ??= failure;
    if (fromPublish && isFatal(error)) {
      summary.fatal ??= error;
      summary.aborted = true;
    }
    if (opts.failFast) summary.aborted = true;
    opts.onFailure?.(failure);
  };

  let inFlight = 0;
  let wake: (() => void) | undefined;
  const waitForSlot = () => new Promise<void>((resolve) => (wake = resolve));
  const settled = () => {
    inFlight--;
    const w = wake;
    wake = undefined;
    w?.();
    opts.onProgress?.(summary);
  };

  // The input is read by hand so that a stop also ends a wait for more input (stdin).
  const iterator =
    Symbol.asyncIterator in batches
      ? batches[Symbol.asyncIterator]()
      : (batches as Iterable<T[]>)[Symbol.iterator]();
  const stored = (ack: { seq: number; duplicate: boolean }) => {
    if (ack.duplicate) summary.duplicates++;
    else {
      summary.published++;
      if (summary.firstSeq === null || ack.seq < summary.firstSeq) summary.firstSeq = ack.seq;
      if (summary.lastSeq === null || ack.seq > summary.lastSeq) summary.lastSeq = ack.seq;
    }
  };
  const failed = (ref: number, err: unknown) => {
    const error =
      err instanceof CliError
        ? err
        : new CliError(err instanceof Error ? err.message : String(err), ExitCode.Internal);
    fail(ref, error, true);
  };
  type Sendable = Extract<BulkItem, { msgID: string }>;
  const publishOpts = {
    timeoutMs: opts.timeoutMs,
    budgetMs: opts.budgetMs,
    expectStream: opts.expectStream,
    signal: opts.signal,
  };
  // with the acked publisher: one callback for every event, called from the ack's own
  // callback (the count is up to date before the next send), told the item it is about
  const send = opts.via
    ? publishLane<Sendable>(js, { ...publishOpts, via: opts.via }, (err, ack, item) => {
        try {
          if (err === null) stored(ack!);
          else failed(item.ref, err);
        } finally {
          settled();
        }
      })
    : undefined;
  const publish = (item: Sendable) => {
    inFlight++;
    if (send) return send(item);
    publishMessage(js, item.subject, item.payload, { ...publishOpts, msgID: item.msgID }).then(
      // each handler ends with settled(): no promise more per event for a `finally`
      (ack) => {
        stored(ack);
        settled();
      },
      (err: unknown) => {
        try {
          failed(item.ref, err);
        } finally {
          settled();
        }
      },
    );
  };
  read: for (;;) {
    const next = await nextOrStop(iterator, opts.signal);
    if (next === "stopped") {
      summary.interrupted = true;
      // after a stop, nobody awaits the pending read: the input may end in an error
      break;
    }
    if (next.done) break;
    const items = next.value;
    for (let i = 0; i < items.length; i++) {
      if (!summary.aborted && !opts.signal?.aborted) {
        const item = toItem(items[i]!);
        if ("error" in item) {
          fail(item.ref, item.error, false);
          opts.onProgress?.(summary);
          continue;
        }
        while (inFlight >= opts.window) await waitForSlot();
        if (!summary.aborted && !opts.signal?.aborted) {
          publish(item);
          continue;
        }
      }
      // stopped: the rest of this batch was read but is not sent
      if (opts.signal?.aborted) summary.interrupted = true;
      summary.notSent += items.length - i;
      break read;
    }
  }
  while (inFlight > 0) await waitForSlot();
  return summary;
}

/** The summary's counts as the `published / duplicates / failed` totals. */
export function bulkTotal(s: BulkSummary): number {
  return s.published + s.duplicates + s.failed;
}

/** Every unit of input the run was given: sent or not, read or not. */
export function bulkInputTotal(s: BulkSummary): number {
  return bulkTotal(s) + s.notSent + s.notRead;
}

/**
 * The error a run with failures ends with (the summary has been shown by then): the fatal
 * one, else the first publish failure's exit code, else exit 2 (only bad input).
 */
export function bulkError(
  s: BulkSummary,
  noun: string,
  label: (ref: number) => string,
): CliError | null {
  if (s.fatal) return s.fatal;
  if (s.failed === 0) return null;
  // each failure was reported on its own line already: this one only sums up
  const first = s.firstPublishFailure ?? s.firstFailure!;
  const stopped = s.aborted ? ` (stopped at ${label(s.firstFailure!.ref)}: --fail-fast)` : "";
  return new CliError(
    `${formatCount(s.failed)} of ${formatCount(bulkInputTotal(s))} ${noun} failed${stopped}`,
    first.error.exitCode,
  );
}
