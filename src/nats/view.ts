// Reading what a stream stores, oldest first, for `view`: an ordered consumer (ack none,
// in memory, recreated by the client on a gap) filtered on the server with a single
// filter_subject string (nats-server 2.9 rejects the 2.10 filter_subjects list).
// Messages are pulled in small batches only as fast as they are written out, so a
// stream of millions is never held in memory and output starts at once.

import type { ConsumerMessages, JsMsg, OrderedConsumerOptions } from "nats";
import type { StoredMessage } from "../output/events.js";
import type { Connection } from "./connection.js";
import { countMatching, toStoredMessage, type StartPoint } from "./messages.js";
import { toCliError } from "./errors.js";
import { findStream, streamNotFound } from "./streams.js";

export type ViewStart = StartPoint | { last: number };

export interface ViewOptions {
  stream: string;
  /** a full subject or wildcard; undefined = the whole stream */
  filter?: string;
  start: ViewStart;
  /** stop after this many messages */
  count?: number;
  /** give up waiting for a message that was counted but never came (ms) */
  stallMs: number;
}

export interface ViewPlan {
  /** messages that will be shown */
  total: number;
  messages: AsyncGenerator<StoredMessage, { stalled: boolean }>;
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

function orderedOptions(
  filter: string | undefined,
  start: StartPoint,
): Partial<OrderedConsumerOptions> {
  const opts: Record<string, unknown> = { inactive_threshold: 30_000 };
  if (filter) opts.filterSubjects = filter; // a string, not a list: 2.9 compatible
  switch (start.deliver_policy) {
    case "by_start_sequence":
      opts.opt_start_seq = start.opt_start_seq;
      break;
    case "by_start_time":
      opts.opt_start_time = start.opt_start_time;
      break;
    case "last":
    case "new":
      opts.deliver_policy = start.deliver_policy;
      break;
  }
  return opts as Partial<OrderedConsumerOptions>;
}

/** Checks the stream, counts what matches, and returns the messages to show. */
export async function planView(conn: Connection, opts: ViewOptions): Promise<ViewPlan> {
  const jsm = await conn.jsm();
  const info = await findStream(jsm, opts.stream);
  if (!info) throw streamNotFound(opts.stream);
  let start: StartPoint;
  let total: number;
  try {
    start =
      "last" in opts.start
        ? await startOfLast(conn, opts.stream, opts.filter, opts.start.last, info.state)
        : opts.start;
    total =
      info.state.messages === 0 ? 0 : await countMatching(conn, opts.stream, opts.filter, start);
  } catch (err) {
    throw toCliError(err, { stream: opts.stream, phase: "request" });
  }
  if (opts.count !== undefined) total = Math.min(total, opts.count);
  const source = { queued: () => 0 };
  return {
    total,
    messages: readMessages(conn, opts, start, total, source),
    queued: () => source.queued(),
  };
}

async function* readMessages(
  conn: Connection,
  opts: ViewOptions,
  start: StartPoint,
  total: number,
  source: { queued: () => number },
): AsyncGenerator<StoredMessage, { stalled: boolean }> {
  if (total === 0) return { stalled: false };
  const consumer = await conn
    .js()
    .consumers.get(opts.stream, orderedOptions(opts.filter, start))
    .catch((err: unknown) => {
      throw toCliError(err, { stream: opts.stream, phase: "request" });
    });
  let messages: ConsumerMessages;
  try {
    messages = await consumer.consume({ max_messages: Math.min(BATCH, total) });
  } catch (err) {
    throw toCliError(err, { stream: opts.stream, phase: "request" });
  }
  // A message counted at the start may be removed before it is read (limits, purge):
  // waiting for it would hang, so a watchdog ends the read when nothing comes for stallMs
  // while we are waiting (not while stdout is slow).
  let waitingSince: number | null = null;
  let stalled = false;
  const watchdog = setInterval(() => {
    if (waitingSince !== null && Date.now() - waitingSince > opts.stallMs) {
      stalled = true;
      messages.stop();
    }
  }, 250);
  watchdog.unref();
  const iter = messages[Symbol.asyncIterator]();
  // the ordered consumer's queue holds only messages (its pulls run elsewhere)
  source.queued = () => messages.getPending();
  let shown = 0;
  try {
    while (shown < total) {
      waitingSince = Date.now();
      let next: IteratorResult<JsMsg>;
      try {
        next = await iter.next();
      } catch (err) {
        throw toCliError(err, { stream: opts.stream, phase: "request" });
      }
      waitingSince = null;
      if (next.done) break;
      shown++;
      yield toStoredMessage(next.value);
      // nothing stored after this one (for this filter): done even if the count was high
      if (next.value.info.pending === 0) break;
    }
  } finally {
    clearInterval(watchdog);
    messages.stop();
    consumer.delete().catch(() => undefined);
  }
  return { stalled };
}
