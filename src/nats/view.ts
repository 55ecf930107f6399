// Reading what a stream stores, oldest first, for `view`: a reader consumer (ack none,
// in memory, one replica; read again from the next sequence under a new one on a gap in
// its delivery sequence) filtered on the server with a single filter_subject string
// (nats-server 2.9 rejects the 2.10 filter_subjects list). A read's consumers are made
// by one ConsumerSession (consumer-session.ts): named, made again under the next name.
// Messages are pulled in small batches only as fast as they are written out, so a
// stream of millions is never held in memory and output starts at once.
//
// A read announces how many messages it will show and either shows them or says where it
// stopped. Silence while waiting for a counted message (a paused server, a consumer left
// on a node that went away, a partition that healed) starts the read again from the next
// sequence under a new consumer, after restartMs of silence; only silence that lasts the
// whole retry budget ends it early, as a stop the command reports (exit 6).

import type { StoredMessage } from "../domain/stored-message.js";
import type { Connection } from "./connection.js";
import {
  ConsumerSession,
  natsConsumerServer,
  type ReadMessage,
  type Reading,
} from "./consumer-session.js";
import { countMatching, type StartPoint } from "./messages.js";
import { steadyCreatePolicy } from "./reader-consumer.js";
import { CliError, ExitCode } from "../errors.js";
import { formatBudget, isTransient, toCliError } from "./errors.js";
import { findStream, streamNotFound } from "./streams.js";
import { checkSubjectInStream } from "../subjects.js";
import { sleep } from "../util/time.js";
import { POLL_MS, pullExpiryMs } from "./timing.js";

export type ViewStart = StartPoint | { last: number };

export interface ViewOptions {
  stream: string;
  /** a full subject or wildcard; undefined = the whole stream */
  filter?: string;
  start: ViewStart;
  /** stop after this many messages */
  count?: number;
  /** silence (ms) while waiting after which the read starts again from the next sequence */
  restartMs: number;
  /** silence (ms) after which the read stops early: the retry budget */
  budgetMs: number;
}

/** How a read ended: `stopped` before its announced end, after `shown` messages. */
export interface ViewEnd {
  stopped: boolean;
  shown: number;
  /** the stream sequence of the last message shown */
  lastSeq?: number;
}

export interface ViewPlan {
  /** messages that will be shown */
  total: number;
  messages: AsyncGenerator<StoredMessage, ViewEnd>;
  /** messages already received and waiting to be yielded */
  queued(): number;
}

const BATCH = 256;

/**
 * The start sequence of the newest `n` matching messages: found by bisection on the
 * server's num_pending (about log2(stream length) cheap consumer creations), so a
 * filtered --last never reads the messages it skips.
 */
async function startOfLast(
  conn: Connection,
  stream: string,
  filter: string | undefined,
  n: number,
  state: { first_seq: number; last_seq: number; messages: number },
): Promise<StartPoint> {
  const { first_seq, last_seq, messages } = state;
  if (!filter && messages === last_seq - first_seq + 1) {
    // no gaps: the arithmetic is exact
    return {
      deliver_policy: "by_start_sequence",
      opt_start_seq: Math.max(first_seq, last_seq - n + 1),
    };
  }
  let lo = first_seq;
  let hi = last_seq;
  const from = (seq: number) =>
    countMatching(conn, stream, filter, {
      deliver_policy: "by_start_sequence",
      opt_start_seq: seq,
    });
  if ((await from(lo)) <= n) return { deliver_policy: "all" };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await from(mid)) >= n) lo = mid;
    else hi = mid - 1;
  }
  return { deliver_policy: "by_start_sequence", opt_start_seq: lo };
}

let reads = 0;

/**
 * A read's consumers: ack none, in memory, one replica, filtered on the server with a
 * single filter_subject string (2.9 compatible), shown with their headers.
 */
function readerSession(conn: Connection, opts: ViewOptions): ConsumerSession {
  const server = natsConsumerServer(conn, opts.stream, {
    config: {
      ack_policy: "none",
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: 30_000_000_000,
      ...(opts.filter ? { filter_subject: opts.filter } : {}),
    },
    headers: true,
  });
  // unique in the process, and whose it is for an operator (`r1`, `r2` … when made again)
  const name = `tweetstream-view-${process.pid}-${++reads}`;
  return ConsumerSession.reader(server, name, steadyCreatePolicy(conn.settings.timeoutMs));
}

/** Checks the stream, counts what matches, and returns the messages to show. */
export async function planView(conn: Connection, opts: ViewOptions): Promise<ViewPlan> {
  const jsm = await conn.jsm();
  const info = await findStream(jsm, opts.stream);
  if (!info) throw streamNotFound(opts.stream);
  // before any consumer is made: nats-server 2.9 refuses a filter outside the stream's
  // subjects with its own words (2.10 and later accept it and count 0)
  if (opts.filter) checkSubjectInStream(opts.filter, opts.stream, info.config.subjects ?? []);
  let start: StartPoint = "last" in opts.start ? { deliver_policy: "all" } : opts.start;
  let total = 0;
  try {
    // nothing stored (never written, or purged): no start sequence to compute, nothing
    // to count; a never-written stream's first_seq is 0, which no consumer accepts
    if (info.state.messages > 0) {
      if ("last" in opts.start) {
        start = await startOfLast(conn, opts.stream, opts.filter, opts.start.last, info.state);
      }
      total = await countMatching(conn, opts.stream, opts.filter, start);
    }
  } catch (err) {
    throw toCliError(err, { stream: opts.stream, phase: "request" });
  }
  if (opts.count !== undefined) total = Math.min(total, opts.count);
  const source = { queued: () => 0 };
  const session = readerSession(conn, opts);
  const open: OpenAttempt = (from, remaining, limitMs) =>
    openAttempt(session, opts, from, remaining, limitMs);
  return {
    total,
    messages: readInAttempts(open, opts, start, total, source),
    queued: () => source.queued(),
  };
}

/** One consumer's part of a read: from `from` on, until it ends or is stopped. */
export interface Attempt {
  messages: Reading;
  /** a message of `messages` as it is shown */
  stored(m: ReadMessage): StoredMessage;
  /** the server counted nothing left to read from `from` on */
  nothingLeft: boolean;
  close(): void;
}

/**
 * Opens a consumer reading `remaining` messages from `from`. Undefined when the server gave
 * no answer within `limitMs` (the consumer, if made later, is removed); a permanent failure
 * throws.
 */
export type OpenAttempt = (
  from: StartPoint,
  remaining: number,
  limitMs: number,
) => Promise<Attempt | undefined>;

/**
 * OpenAttempt through the read's session (a fresh name when a create gets no answer:
 * src/nats/reader-consumer.ts), read with consume().
 */
async function openAttempt(
  session: ConsumerSession,
  opts: ViewOptions,
  from: StartPoint,
  remaining: number,
  limitMs: number,
): Promise<Attempt | undefined> {
  try {
    const handle = await session.openWithin(from, limitMs);
    if (!handle) return undefined;
    // idle heartbeats every restartMs / 2: nats.js notices a silent server within restartMs
    const expires = pullExpiryMs(opts.restartMs);
    const messages = await handle.consume(Math.min(BATCH, remaining), expires);
    return {
      messages,
      stored: (m) => handle.stored(m),
      nothingLeft: handle.pending === 0,
      close() {
        messages.stop();
        void session.close();
      },
    };
  } catch (err) {
    if (isTransient(err) || isTransient((err as { cause?: unknown }).cause)) return undefined;
    void session.close();
    throw toCliError(err, { stream: opts.stream, phase: "request" });
  }
}

/**
 * The read: attempts one after the other, each from the sequence after the last message
 * shown, until `total` are shown, nothing is left, or the budget of silence runs out.
 */
export async function* readInAttempts(
  open: OpenAttempt,
  opts: Pick<ViewOptions, "stream" | "restartMs" | "budgetMs">,
  start: StartPoint,
  total: number,
  source: { queued: () => number },
): AsyncGenerator<StoredMessage, ViewEnd> {
  const end: ViewEnd = { stopped: false, shown: 0 };
  if (total === 0) return end;
  // silence is counted only while waiting for the server (not while stdout is slow), and
  // across attempts: a new consumer that brings nothing does not start the budget again
  let waitingSince: number | null = Date.now();
  const silence = () => (waitingSince === null ? 0 : Date.now() - waitingSince);
  while (end.shown < total) {
    const from: StartPoint =
      end.lastSeq === undefined
        ? start
        : { deliver_policy: "by_start_sequence", opt_start_seq: end.lastSeq + 1 };
    const left = opts.budgetMs - silence();
    const attempt = left > 0 ? await open(from, total - end.shown, left) : undefined;
    if (!attempt) {
      if (silence() >= opts.budgetMs) return { ...end, stopped: true };
      await sleep(Math.min(POLL_MS, opts.budgetMs - silence())); // no answer yet: asked again
      continue;
    }
    // removed from the stream since they were counted: nothing more to wait for
    if (attempt.nothingLeft) {
      attempt.close();
      return end;
    }
    const attemptStart = Date.now();
    const watch: { why?: "restart" | "budget" } = {};
    const watchdog = setInterval(() => {
      if (waitingSince === null) return;
      if (silence() >= opts.budgetMs) watch.why = "budget";
      else if (Date.now() - Math.max(waitingSince, attemptStart) >= opts.restartMs)
        watch.why = "restart";
      if (watch.why) attempt.messages.stop();
    }, 100);
    watchdog.unref();
    const iter = attempt.messages[Symbol.asyncIterator]();
    /** this consumer's delivery sequence of the last message taken */
    let delivered = 0;
    // the consumer's queue holds only messages (its pulls run elsewhere)
    source.queued = () => attempt.messages.getPending();
    try {
      while (end.shown < total) {
        let next: IteratorResult<ReadMessage>;
        try {
          next = await iter.next();
        } catch (err) {
          // a consumer or stream that went away mid-read: asked again from the next sequence
          if (isTransient(err)) break;
          throw toCliError(err, { stream: opts.stream, phase: "request" });
        }
        if (next.done) break;
        // a jump in the delivery sequence: messages lost in a reconnect, read again from the next
        const delivery = next.value.info.deliverySequence;
        if (delivery !== undefined && delivery !== delivered + 1) break;
        delivered = delivery ?? delivered + 1;
        waitingSince = null;
        end.shown++;
        end.lastSeq = next.value.seq;
        const pending = next.value.info.pending;
        yield attempt.stored(next.value);
        waitingSince = Date.now();
        // nothing stored after this one (for this filter): done even if the count was high
        if (pending === 0) return end;
      }
    } finally {
      clearInterval(watchdog);
      source.queued = () => 0;
      attempt.close();
    }
    if (watch.why === "budget") return { ...end, stopped: true };
  }
  return end;
}

/**
 * A read that stopped before its announced end: exit 6, naming the last sequence printed
 * so a script can go on from there (`view --seq <n+1>`).
 */
export function readStoppedError(end: ViewEnd, total: number, budgetMs: number): CliError {
  const last =
    end.lastSeq === undefined
      ? "none printed"
      : `the last printed at stream sequence ${end.lastSeq}; go on with --seq ${end.lastSeq + 1}`;
  return new CliError(
    `view stopped early: ${end.shown} of ${total} messages shown (${last}): no message came within ${formatBudget(budgetMs)} (the retry budget, 3 x --timeout): the server did not answer`,
    ExitCode.Timeout,
  );
}
