// What tweet, like and publish share: the --author / --window / --fail-fast options,
// the payload size check against the server's max_payload, publishing one event with
// its result printed, and running a pipelined bulk publish with progress and summary.
// An event becomes a message in src/publishing/ (publishable.ts), as serve's POSTs do.

import { Option } from "commander";
import { userInfo } from "node:os";
import type { Invocation } from "../../invocation.js";
import { CliError, usageError } from "../../errors.js";
import type { TweetEvent } from "../../events.js";
import type { BulkItem } from "../../nats/bulk-publish.js";
import type { Connection } from "../../nats/connection.js";
import type { Publishable } from "../../publishing/publishable.js";
import { publishableEvent } from "../../publishing/publishable.js";
import { messagePublisher } from "../../publishing/publisher.js";
import { formatBytes, formatCount } from "../../output/format.js";
import {
  bulkSummaryJson,
  publishedJson,
  renderBulkProgress,
  renderBulkSummary,
  renderPublished,
  type BulkFacts,
} from "../../output/publish.js";
import { safeText } from "../../output/safe-text.js";
import { startSpinner } from "../../output/spinner.js";
import { exitCodeForSignal, onStopSignal, type StopSignal } from "../../signals.js";
import { parseCount } from "../../parse.js";

/** The server's default max_payload, used when the server did not say. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
export const DEFAULT_WINDOW = 256;
/** failures kept for the --json summary; stderr gets every one */
const MAX_JSON_FAILURES = 1000;

export function authorOption(): Option {
  return new Option(
    "--author <name>",
    "who tweets or likes (default: TWEETSTREAM_AUTHOR, then your OS user name)",
  ).env("TWEETSTREAM_AUTHOR");
}

export function windowOption(): Option {
  return new Option("--window <n>", "most publishes waiting for their JetStream ack at once")
    .argParser((v) => parseCount(v, "--window"))
    .default(DEFAULT_WINDOW);
}

/** --author, else the OS user name (USER / LOGNAME when the system has no entry for us). */
export function resolveAuthor(author: string | undefined): string {
  if (author !== undefined) {
    if (author.trim() === "") throw usageError("invalid --author: it is empty");
    return author;
  }
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // no passwd entry (containers): fall back to the environment
  }
  return process.env.USER || process.env.LOGNAME || "anonymous";
}

/** The largest message the server accepts: its max_payload (1 MiB unless configured). */
export function maxPayloadOf(conn: Connection): number {
  return conn.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
}

/** Exit 2 when the event is larger than the server accepts. */
export function payloadTooLarge(size: number, max: number, what = "event"): CliError {
  return usageError(
    `${what} is ${formatCount(size)} bytes, over the server's max_payload of ${formatCount(max)} bytes (${formatBytes(max)})`,
  );
}

/** The bulk item of one message: exit 2 when it is larger than the server accepts. */
export function bulkItem(ref: number, message: Publishable, maxPayload: number): BulkItem {
  if (message.payload.length > maxPayload)
    return { ref, error: payloadTooLarge(message.payload.length, maxPayload) };
  return { ref, subject: message.subject, payload: message.payload, msgID: message.msgID };
}

/** tweet, like: publish one event, wait for its ack, print the result. */
export async function publishOne(inv: Invocation, event: TweetEvent): Promise<void> {
  const conn = await inv.connect();
  const message = publishableEvent(inv.stream, event);
  const max = maxPayloadOf(conn);
  if (message.payload.length > max) throw payloadTooLarge(message.payload.length, max);
  const outcome = await (await messagePublisher(conn, inv.stream))(message);
  if (inv.out.json) return inv.out.printJson(publishedJson(outcome, event));
  await inv.out.result(renderPublished(outcome, event, inv.out.color, inv.out.width));
}

export interface BulkRun {
  /** "line" (publish) or "tweet" (tweet --count): how failures are labelled */
  noun: "line" | "tweet";
  /** the JSON key of a failure's ref: "line" or "index" */
  refKey: "line" | "index";
  window: number;
  failFast: boolean;
  /**
   * publish --file: the input's lines holding an event and its blank lines, once the run
   * ended; with `stoppedEarly`, a file is counted to its end (stdin only as far as read)
   */
  inputLines?: (stoppedEarly: boolean) => Promise<{ events: number; blank: number }>;
  /** events the run was asked for (tweet --count): the ones never sent are counted too */
  expected?: number;
  /** on Ctrl-C / SIGTERM: stop the input (publish --file closes the file or stdin) */
  stopInput?: () => void;
}

/** publish --file, tweet --count: the pipelined run, its progress, failures and summary. */
export async function publishMany<T>(
  inv: Invocation,
  conn: Connection,
  batches: AsyncIterable<T[]> | Iterable<T[]>,
  toItem: (input: T) => BulkItem,
  run: BulkRun,
): Promise<void> {
  const { publishPipelined, bulkError, bulkTotal } = await import("../../nats/bulk-publish.js");
  const { connectionPublisher } = await import("../../nats/acked-publish.js");
  const via = await connectionPublisher(conn.nc, conn.settings.inboxPrefix);
  const out = inv.out;
  const label = (ref: number) => `${run.noun} ${ref}`;
  const started = performance.now();
  const spinner = await startSpinner(out, `Publishing to ${inv.stream}…`);
  const failures: BulkFacts["failures"] = [];
  let failuresOmitted = 0;
  let lastDraw = 0;
  // Ctrl-C / SIGTERM: stop reading, let in-flight publishes get their ack, print the summary
  // (a second signal ends the process at once)
  const stop = new AbortController();
  let stopSignal: StopSignal = "SIGINT";
  const unsignal = onStopSignal((signal) => {
    stopSignal = signal;
    stop.abort();
    run.stopInput?.();
  });
  const summary = await publishPipelined(conn.js(), batches, toItem, {
    signal: stop.signal,
    via,
    window: run.window,
    timeoutMs: inv.settings.timeoutMs,
    expectStream: inv.stream,
    failFast: run.failFast,
    onFailure(f) {
      spinner.log(out.errColor.red("error: ") + safeText(`${label(f.ref)}: ${f.error.message}`));
      if (failures.length < MAX_JSON_FAILURES)
        failures.push({ [run.refKey]: f.ref, error: f.error.message, exit_code: f.error.exitCode });
      else failuresOmitted++;
    },
    onProgress(s) {
      if (!out.spinners) return;
      const now = performance.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      spinner.text(renderBulkProgress(s, inv.stream, run.expected, out.errWidth));
    },
  }).finally(unsignal);
  spinner.stop();
  // tweet --count: the events a stopped run never built are not sent either
  if (run.expected !== undefined) summary.notSent = run.expected - bulkTotal(summary);
  const elapsedMs = performance.now() - started;
  // publish --file: what the run was handed, and the lines of the input it never read
  const handed = bulkTotal(summary) + summary.notSent;
  const counted = await run.inputLines?.(summary.aborted || summary.interrupted);
  if (counted) summary.notRead = Math.max(0, counted.events - handed);
  const facts: BulkFacts = {
    stream: inv.stream,
    elapsedMs,
    lines: run.inputLines ? handed + summary.notRead : undefined,
    blankLines: counted?.blank,
    failures,
    failuresOmitted,
  };
  if (out.json) await out.printJson(bulkSummaryJson(summary, facts));
  else await out.result(renderBulkSummary(summary, facts, out.color, out.width));
  // a stop by signal decides the exit code: failures are in the summary above
  if (summary.interrupted) {
    throw new CliError(
      `interrupted by ${stopSignal}: the input was not published to its end (every event counted as published above is stored)`,
      exitCodeForSignal(stopSignal),
    );
  }
  const err = bulkError(summary, run.noun === "line" ? "events" : "tweets", label);
  if (err) throw err;
}
