// Publishing one message to JetStream with the guarantees every producer needs:
// it waits for the JetStream ack, carries a Nats-Msg-Id so a retry is never stored
// twice, and rides out what passes (a leader election, a paused server, "in process")
// by retrying with the same id within the retry budget (retry.ts). A failure is named
// by what the server said: "no stream" only when the server confirms it.

import type { JetStreamClient, NatsConnection } from "nats";
import { CliError, ExitCode } from "../errors.js";
import type { AckedPublish, JsAck } from "./acked-publish.js";
import {
  JsErr,
  jsErrorCode,
  natsErrorCode,
  noAnswerError,
  noJetStreamError,
  RetryBudgetExceeded,
  toCliError,
} from "./errors.js";
import { untilReconnect } from "./failover.js";
import { retryBudgetMs, withJsRetry } from "./retry.js";

export interface PublishOutcome {
  stream: string;
  seq: number;
  /**
   * the stream already had a message with this id inside its duplicate window, from
   * before this call (an attempt of this call that got no answer and was stored anyway
   * is not a duplicate: see `retried`)
   */
  duplicate: boolean;
  subject: string;
  /** the ack came for a retry after an attempt that got no answer */
  retried: boolean;
}

export interface PublishOptions {
  msgID: string;
  /** per-attempt ack timeout, ms */
  timeoutMs: number;
  /** how long transient failures are retried, ms; default retryBudgetMs(timeoutMs) */
  budgetMs?: number;
  /** refuse to store in any other stream (Nats-Expected-Stream) */
  expectStream?: string;
  /** stop retrying (Ctrl-C) */
  signal?: AbortSignal;
  /**
   * how each attempt is sent: the connection's acked publisher (acked-publish.ts) costs a
   * third of js.publish's client CPU; without it, js.publish
   */
  via?: AckedPublish;
}

/**
 * No stream takes `subject`. tweetstream's subjects are <STREAM>.<type>: when that stream
 * exists (its subjects were edited: `existing` are its subjects), the fix is an edit of
 * it, never `stream add` of a stream that exists.
 */
export function noStreamError(subject: string, existing?: string[]): CliError {
  const stream = subject.split(".")[0];
  if (existing) {
    return new CliError(
      `stream ${stream} does not take subject ${subject} (its subjects: ` +
        `${existing.join(", ") || "none"}); add it with: tweetstream stream edit ${stream} ` +
        `--subjects ${[...existing, subject].join(",")}`,
      ExitCode.NotFound,
    );
  }
  return new CliError(
    `no stream stores subject ${subject}; create one with: tweetstream stream add ${stream}`,
    ExitCode.NotFound,
  );
}

/** The client's connection (the JetStream client has it; its type does not say so). */
function connectionOf(js: JetStreamClient): NatsConnection | undefined {
  const get = (js as { getConnection?: () => NatsConnection }).getConnection;
  return typeof get === "function" ? get.call(js) : undefined;
}

const lookups = new WeakMap<JetStreamClient, Map<string, Promise<CliError | undefined>>>();

/**
 * A publish got no responders. Ask the server why: no stream for the subject (confirmed
 * by the stream lookup) or no JetStream are permanent; a stream that exists, or a lookup
 * that got no answer either, is a leader election or a restart: undefined (retry).
 * Concurrent publishes to one subject share one lookup.
 */
function explainNoResponders(js: JetStreamClient, subject: string): Promise<CliError | undefined> {
  let bySubject = lookups.get(js);
  if (!bySubject) lookups.set(js, (bySubject = new Map()));
  const known = bySubject.get(subject);
  if (known) return known;
  const lookup = (async (): Promise<CliError | undefined> => {
    // the server says in its INFO whether it runs JetStream
    const info = connectionOf(js)?.info;
    if (info && !info.jetstream) return noJetStreamError();
    const jsm = await js.jetstreamManager(false);
    try {
      await jsm.streams.find(subject);
      return undefined; // the stream exists: its leader is away for now
    } catch (err) {
      if (err instanceof Error && err.message === "no stream matches subject") {
        const named = await jsm.streams.info(subject.split(".")[0]!).catch(() => undefined);
        return noStreamError(subject, named?.config.subjects);
      }
      const code = jsErrorCode(err);
      if (code === JsErr.NotEnabledForAccount || code === JsErr.NotEnabled)
        return toCliError(err, { phase: "request" });
      return undefined; // no answer to the lookup either: transient
    }
  })();
  const forget = () => bySubject.delete(subject);
  bySubject.set(subject, lookup);
  void lookup.then(forget, forget);
  return lookup;
}

/** Each attempt waits --timeout, the last what is left of the budget (but not nothing). */
function attemptTimeout(timeoutMs: number, remainingMs: number): number {
  return Math.max(Math.min(timeoutMs, remainingMs), Math.min(timeoutMs, 250));
}

function outcomeOf(ack: JsAck, subject: string, unanswered: boolean): PublishOutcome {
  return {
    stream: ack.stream,
    seq: ack.seq,
    // a duplicate of our own unanswered attempt was stored by this call
    duplicate: ack.duplicate && !unanswered,
    subject,
    retried: unanswered,
  };
}

export function publishMessage(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  opts: PublishOptions,
): Promise<PublishOutcome> {
  const via = opts.via;
  if (!via) return publishWithRetry(js, subject, payload, opts);
  return new Promise((resolve, reject) =>
    sendMessage(js, subject, payload, { ...opts, via }, (err, ack) => {
      if (err !== null) return reject(err);
      // an ack of the first attempt, or the outcome of the retries
      resolve("retried" in ack! ? ack : outcomeOf(ack!, subject, false));
    }),
  );
}

/** How sendMessage ends: the failure (a CliError once retries are over), or the ack. */
export type SendCallback = (err: unknown, ack: JsAck | PublishOutcome | null) => void;

/**
 * publishMessage without a promise for the first attempt, sent by `opts.via` (required):
 * most publishes need no more, and a bulk run makes one per event, where promises cost
 * more than the publish. A first attempt that fails goes on as publishMessage does
 * (retries with the same id within the budget); `done` is called once, with the ack or
 * the final error.
 */
export function sendMessage(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  opts: PublishOptions & { via: AckedPublish },
  done: SendCallback,
): void {
  // Date.now() costs less than performance.now(), the retry's clock: converted on failure
  const sentAt = Date.now();
  const budgetMs = opts.budgetMs ?? retryBudgetMs(opts.timeoutMs);
  const timeoutMs = attemptTimeout(opts.timeoutMs, budgetMs);
  // opts holds what the attempt needs (msgID, expectStream) when its timeout is the same
  const attempt =
    timeoutMs === opts.timeoutMs
      ? opts
      : { timeoutMs, msgID: opts.msgID, expectStream: opts.expectStream };
  opts.via.send(subject, payload, attempt, (error, ack) => {
    if (error === null) return done(null, ack);
    const startedAt = performance.now() - (Date.now() - sentAt);
    publishWithRetry(js, subject, payload, opts, { error, startedAt }).then(
      (outcome) => done(null, outcome),
      (err: unknown) => done(err, null),
    );
  });
}

/** A message of a lane: what each of its attempts sends. */
export interface LaneMessage {
  subject: string;
  payload: Uint8Array;
  msgID: string;
}

/**
 * sendMessage for a bulk run (publish --file, tweet --count): the messages share their
 * options and one callback, told each message's outcome with the message itself. The
 * first attempt allocates nothing per message (acked-publish.ts's lane); one that fails
 * goes on as publishMessage does, with the same id and the time spent counted in the
 * budget.
 */
export function publishLane<T extends LaneMessage>(
  js: JetStreamClient,
  opts: Omit<PublishOptions, "msgID"> & { via: AckedPublish },
  done: (err: unknown, ack: JsAck | PublishOutcome | null, message: T) => void,
): (message: T) => void {
  const budgetMs = opts.budgetMs ?? retryBudgetMs(opts.timeoutMs);
  const timeoutMs = attemptTimeout(opts.timeoutMs, budgetMs);
  const lane = opts.via.lane<T>(
    { timeoutMs, expectStream: opts.expectStream },
    (error, ack, message, sentAt) => {
      if (error === null) return done(null, ack, message);
      const startedAt = performance.now() - (Date.now() - sentAt);
      const retry = { ...opts, msgID: message.msgID };
      publishWithRetry(js, message.subject, message.payload, retry, { error, startedAt }).then(
        (outcome) => done(null, outcome, message),
        (err: unknown) => done(err, null, message),
      );
    },
  );
  return (message) => lane.send(message.subject, message.payload, message.msgID, message);
}

/** With `first`: the first attempt was made at `startedAt` and failed with `error`. */
async function publishWithRetry(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  opts: PublishOptions,
  first?: { error: unknown; startedAt: number },
): Promise<PublishOutcome> {
  let unanswered = false; // an attempt got no answer: it may have been stored
  const nc = connectionOf(js);
  const failed = async (err: unknown): Promise<never> => {
    const code = natsErrorCode(err);
    if (code === "TIMEOUT") unanswered = true;
    if (code === "503" && jsErrorCode(err) === undefined) {
      const permanent = await explainNoResponders(js, subject);
      if (permanent) throw permanent;
    }
    throw err;
  };
  const via = opts.via;
  const ack: JsAck = await withJsRetry(
    async ({ attempt, remainingMs }) => {
      if (attempt === 0 && first) return failed(first.error);
      const timeout = attemptTimeout(opts.timeoutMs, remainingMs);
      try {
        if (via) {
          return await via(subject, payload, {
            timeoutMs: timeout,
            msgID: opts.msgID,
            expectStream: opts.expectStream,
          });
        }
        // sent to a server that was then left (stuck): tried again on the new one at once
        // (the acked publisher above does the same for everything it awaits)
        return await untilReconnect(
          nc,
          js.publish(subject, payload, {
            msgID: opts.msgID,
            timeout,
            ...(opts.expectStream ? { expect: { streamName: opts.expectStream } } : {}),
          }),
        );
      } catch (err) {
        return failed(err);
      }
    },
    {
      budgetMs: opts.budgetMs ?? retryBudgetMs(opts.timeoutMs),
      signal: opts.signal,
      startedAt: first?.startedAt,
    },
  ).catch((err: unknown) => {
    if (jsErrorCode(err) === JsErr.StreamNotMatch) {
      throw new CliError(
        `subject ${subject} is stored by another stream, not ${opts.expectStream}`,
        ExitCode.Conflict,
      );
    }
    if (err instanceof RetryBudgetExceeded) throw noAnswerError(err, {}, subject);
    throw toCliError(err, { phase: "request", stream: opts.expectStream });
  });
  return outcomeOf(ack, subject, unanswered);
}
