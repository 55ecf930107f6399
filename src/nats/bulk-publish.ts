// Pipelined publishing of many events over the one connection (publish --file,
// tweet --count): up to `window` publishes wait for their JetStream ack at once instead
// of one round trip each. Every event still goes through publishMessage, so each one is
// acknowledged, carries its Nats-Msg-Id and is retried with it after a timeout.
// Per-event failures are counted and reported; failures that would hit every later
// event too (no stream, connection lost, subject owned by another stream) stop the run.

import type { JetStreamClient } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { formatCount } from "../output/format.js";
import { publishMessage } from "./publish.js";

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
  retries?: number;
  expectStream?: string;
  /** stop at the first failure (events already in flight still complete) */
  failFast?: boolean;
  onFailure?(failure: BulkFailure): void;
  /** after each ack or failure, with the running totals */
  onProgress?(summary: Readonly<BulkSummary>): void;
  /** stop reading input (Ctrl-C); publishes already in flight still get their ack */
  signal?: AbortSignal;
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

/** Failures every later publish would share: stop instead of failing them one by one. */
function isFatal(err: CliError): boolean {
  return (
    err.exitCode === ExitCode.Connection ||
    err.exitCode === ExitCode.NotFound ||
    err.exitCode === ExitCode.Conflict
  );
}

/** Items come in batches so that a large input costs one await per batch, not per event. */
export async function publishPipelined(
  js: JetStreamClient,
  batches: AsyncIterable<BulkItem[]> | Iterable<BulkItem[]>,
  opts: BulkOptions,
): Promise<BulkSummary> {
  const summary: BulkSummary = {
    published: 0,
    duplicates: 0,
    failed: 0,
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
      return; // reported once, by the caller, as the run's error
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
      : (batches as Iterable<BulkItem[]>)[Symbol.iterator]();
  const stopped = new Promise<"stopped">((resolve) => {
    if (opts.signal?.aborted) resolve("stopped");
    opts.signal?.addEventListener("abort", () => resolve("stopped"), { once: true });
  });
  read: for (;;) {
    const pending = Promise.resolve(iterator.next());
    pending.catch(() => {}); // after a stop, nobody awaits it: the input may end in an error
    const next = await Promise.race([pending, stopped]);
    if (next === "stopped") {
      summary.interrupted = true;
      break;
    }
    if (next.done) break;
    for (const item of next.value) {
      if (opts.signal?.aborted) {
        summary.interrupted = true;
        break read;
      }
      if (summary.aborted) break read;
      if ("error" in item) {
        fail(item.ref, item.error, false);
        opts.onProgress?.(summary);
        continue;
      }
      while (inFlight >= opts.window) await waitForSlot();
      if (summary.aborted) break read;
      inFlight++;
      publishMessage(js, item.subject, item.payload, {
        msgID: item.msgID,
        timeoutMs: opts.timeoutMs,
        retries: opts.retries,
        expectStream: opts.expectStream,
      })
        .then(
          (ack) => {
            if (ack.duplicate) {
              summary.duplicates++;
              return;
            }
            summary.published++;
            if (summary.firstSeq === null || ack.seq < summary.firstSeq) summary.firstSeq = ack.seq;
            if (summary.lastSeq === null || ack.seq > summary.lastSeq) summary.lastSeq = ack.seq;
          },
          (err: unknown) => {
            const error =
              err instanceof CliError
                ? err
                : new CliError(err instanceof Error ? err.message : String(err), ExitCode.Internal);
            fail(item.ref, error, true);
          },
        )
        .finally(settled);
    }
  }
  while (inFlight > 0) await waitForSlot();
  return summary;
}

/** The summary's counts as the `published / duplicates / failed` totals. */
export function bulkTotal(s: BulkSummary): number {
  return s.published + s.duplicates + s.failed;
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
    `${formatCount(s.failed)} of ${formatCount(bulkTotal(s))} ${noun} failed${stopped}`,
    first.error.exitCode,
  );
}
