// `listen --exec`: a pull consumer whose events are each handed to a handler process
// (worker/handler.ts); the handler's exit decides the ack (worker/policy.ts). Up to
// --parallel handlers run at once, and never more events are pulled than there are free
// slots, so an event waits in this process only while its handler runs. A running
// handler's event is kept with progress acks (+WPI) every third of the ack wait, so it is
// never delivered to another worker meanwhile. A stop by signal starts no new handler,
// lets the running ones finish within the grace period, then kills them and hands their
// events back (nak) at once.

import type { Consumer, ConsumerInfo, JsMsg } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { readMessage, type StoredMessage } from "../domain/stored-message.js";
import type { StoredReading } from "../events.js";
import { runHandler, type HandlerExit, type HandlerRun } from "../worker/handler.js";
import { attemptsAllowed, decide } from "../worker/policy.js";
import type { Outcome, OutcomeKind } from "../worker/records.js";
import type { Connection } from "./connection.js";
import { JsErr, jsErrorCode, toCliError } from "./errors.js";
import { prepareConsumer, wantedConfig, type ListenOptions, type StopReason } from "./listen.js";
import { toStoredMessage } from "./messages.js";
import { reportConnectionEvents } from "./status.js";
import { NS_PER_MS, sleep } from "../util/time.js";

/** Longest a pull waits on the server. */
const PULL_MS = 5_000;
/** After a stop, how long the pull in progress may still bring what the server sent. */
const STOP_PULL_MS = 1_000;
/** After the grace period, SIGKILL follows SIGTERM after this long. */
const KILL_AFTER_MS = 2_000;
const DEFAULT_ACK_WAIT_MS = 30_000;
const KEEP_SEQS = 20;

export interface ExecOptions extends ListenOptions {
  /** the user's command line, run by /bin/sh -c */
  command: string;
  /** handlers at once */
  parallel: number;
  backoffMs: number[];
  /** on a signal, how long running handlers may take before they are killed */
  graceMs: number;
}

export interface ExecHooks {
  /** the consumer is ready: its name, whether it resumed a durable, the attempts an event gets */
  ready(consumer: string, resumed: boolean, attempts: number): void;
  /** a handler run ended and its event was acked, naked or terminated */
  outcome(o: Outcome, msg: StoredMessage): Promise<void>;
  /** what the handler reads on stdin for a message (listen's NDJSON line: output/events.ts) */
  stdin(msg: StoredMessage, consumer: string, reading: StoredReading): string;
  warn(text: string): void;
  info(text: string): void;
}

export interface ExecResult {
  counts: Record<OutcomeKind, number>;
  givenUpSeqs: number[];
  reason: StopReason;
  consumer: string;
  /** when the run started (for the dead letters seen since) */
  startedAt: Date;
}

export interface ExecWorker {
  run(): Promise<ExecResult>;
  stop(reason: StopReason): void;
}

interface Job {
  m: JsMsg;
  run: HandlerRun;
  /** killed by a stop: its event is handed back, not judged */
  killed: boolean;
  done: Promise<void>;
}

/** The TWEETSTREAM_* variables a handler sees. */
export function handlerEnv(
  m: { stream: string; seq: number; subject: string; delivered: number },
  consumer: string,
  id: string | undefined,
  attempts: number,
): Record<string, string> {
  const env: Record<string, string> = {
    TWEETSTREAM_STREAM: m.stream,
    TWEETSTREAM_CONSUMER: consumer,
    TWEETSTREAM_SEQ: String(m.seq),
    TWEETSTREAM_SUBJECT: m.subject,
    TWEETSTREAM_DELIVERED: String(m.delivered),
    TWEETSTREAM_MAX_DELIVER: Number.isFinite(attempts) ? String(attempts) : "-1",
  };
  if (id !== undefined) env.TWEETSTREAM_EVENT_ID = id;
  return env;
}

export async function createExecWorker(
  conn: Connection,
  opts: ExecOptions,
  hooks: ExecHooks,
): Promise<ExecWorker> {
  const jsm = await conn.jsm();
  const prepared = await prepareConsumer(jsm, opts, wantedConfig(opts));
  const info: ConsumerInfo = prepared.info;
  const name = info.name;
  const attempts = attemptsAllowed(opts.maxDeliver, info.config.max_deliver);
  const ackWaitMs = info.config.ack_wait ? info.config.ack_wait / NS_PER_MS : DEFAULT_ACK_WAIT_MS;
  const progressMs = Math.max(100, Math.floor(ackWaitMs / 3));

  const counts: Record<OutcomeKind, number> = {
    handled: 0,
    retry: 0,
    given_up: 0,
    handed_back: 0,
  };
  const givenUpSeqs: number[] = [];
  const running = new Set<Job>();
  let stopping: StopReason | null = null;
  let fatal: unknown;
  let current: { stop(): void } | null = null;
  let consumer: Consumer | undefined;
  let slotWaiter: (() => void) | null = null;
  const wakeLoop = () => {
    const w = slotWaiter;
    slotWaiter = null;
    w?.();
  };
  /** events that reached an end (acked or given up): what --count counts */
  const finished = () => counts.handled + counts.given_up;

  // idle: no event arrived and no handler ran for --timeout; a retry pushes the deadline
  // past its backoff, so the event that comes back is waited for
  let idleUntil = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = (extraMs = 0) => {
    if (opts.idleMs === undefined || stopping) return;
    idleUntil = Math.max(idleUntil, Date.now() + opts.idleMs + extraMs);
    clearTimeout(idleTimer);
    idleTimer = setTimeout(checkIdle, idleUntil - Date.now());
  };
  const checkIdle = () => {
    if (running.size > 0 || Date.now() < idleUntil) {
      idleTimer = setTimeout(checkIdle, Math.max(50, idleUntil - Date.now()));
      return;
    }
    stop("idle");
  };

  const fail = (err: unknown) => {
    fatal ??= err;
    current?.stop();
    wakeLoop();
  };

  const stop = (reason: StopReason) => {
    if (stopping) return;
    stopping = reason;
    clearTimeout(idleTimer);
    if (reason === "idle" || reason === "count") current?.stop();
    else setTimeout(() => current?.stop(), STOP_PULL_MS).unref();
    wakeLoop();
  };

  const report = async (
    kind: OutcomeKind,
    m: JsMsg,
    exit: HandlerExit,
    extra: Partial<Outcome>,
  ) => {
    counts[kind]++;
    const msg = toStoredMessage(m, false);
    const reading = readMessage(msg);
    await hooks.outcome(
      {
        outcome: kind,
        stream: msg.stream,
        consumer: name,
        seq: msg.seq,
        subject: msg.subject,
        ...(reading.event ? { id: reading.event.id } : {}),
        delivered: m.info.deliveryCount,
        exit: exit.code,
        signal: exit.signal,
        ms: exit.ms,
        ...extra,
        time: new Date().toISOString(),
      },
      msg,
    );
  };

  const giveUp = async (m: JsMsg, exit: HandlerExit, reason: string) => {
    // no reason text: nats-server 2.9 takes only a bare +TERM (it ignores "+TERM reason")
    m.term();
    givenUpSeqs.push(m.info.streamSequence);
    if (givenUpSeqs.length > KEEP_SEQS) givenUpSeqs.shift();
    await report("given_up", m, exit, { reason });
  };

  /** the handler ended: ack, nak with its backoff, or give up */
  const judge = async (job: Job, exit: HandlerExit) => {
    const m = job.m;
    if (job.killed) {
      m.nak();
      return report("handed_back", m, exit, {});
    }
    const delivered = m.info.deliveryCount;
    const d = decide(exit.code === 0, delivered, attempts, opts.backoffMs);
    switch (d.kind) {
      case "ack": {
        const confirmed = await m.ackAck().catch(() => false);
        if (!confirmed) {
          hooks.warn(
            `the ack of sequence ${m.info.streamSequence} was not confirmed by the server; it may be delivered again`,
          );
        }
        return report("handled", m, exit, {});
      }
      case "nak":
        m.nak(d.delayMs);
        armIdle(d.delayMs);
        return report("retry", m, exit, { retry_in_ms: d.delayMs });
      case "term":
        return giveUp(m, exit, failureText(exit, d.attempts));
    }
  };

  const start = (m: JsMsg) => {
    const msg = toStoredMessage(m);
    const reading = readMessage(msg);
    const delivered = m.info.deliveryCount;
    if (delivered > attempts) {
      // delivered again after its last attempt (a worker that died while handling it)
      const none: HandlerExit = { code: null, signal: null, ms: 0 };
      void giveUp(
        m,
        none,
        `delivered ${delivered} times, more than the ${attempts} attempts allowed`,
      )
        .catch(fail)
        .finally(checkCount);
      return;
    }
    const run = runHandler({
      command: opts.command,
      stdin: hooks.stdin(msg, name, reading) + "\n",
      env: handlerEnv(
        { stream: msg.stream, seq: msg.seq, subject: msg.subject, delivered },
        name,
        reading.event?.id,
        attempts,
      ),
    });
    const progress = setInterval(() => m.working(), progressMs);
    const job: Job = { m, run, killed: false, done: Promise.resolve() };
    running.add(job);
    job.done = run.done
      .then(async (exit) => {
        clearInterval(progress);
        await judge(job, exit);
      })
      .catch(fail)
      .finally(() => {
        running.delete(job);
        armIdle();
        checkCount();
        wakeLoop();
      });
  };

  const checkCount = () => {
    if (opts.count !== undefined && finished() >= opts.count) stop("count");
  };

  const pullOnce = async () => {
    const need = opts.count === undefined ? Infinity : opts.count - finished() - running.size;
    if (running.size >= opts.parallel || (need <= 0 && running.size > 0)) {
      await new Promise<void>((resolve) => (slotWaiter = resolve));
      return;
    }
    consumer ??= await conn.js().consumers.get(opts.stream, name);
    if (stopping) return;
    const messages = await consumer.fetch({
      max_messages: Math.max(1, Math.min(opts.parallel - running.size, need)),
      expires: PULL_MS,
    });
    current = messages;
    try {
      for await (const m of messages as AsyncIterable<JsMsg>) {
        if (stopping) {
          m.nak(); // pulled after the stop: back at once
          continue;
        }
        armIdle();
        start(m);
      }
    } finally {
      current = null;
    }
  };

  /** stopping: the running handlers finish, or are killed after the grace period (signals only) */
  const drain = async () => {
    if (running.size === 0) return;
    const signalled = stopping === "SIGINT" || stopping === "SIGTERM" || stopping === "stdout";
    if (signalled) {
      hooks.info(
        `waiting up to ${Math.round(opts.graceMs / 1000)}s for ${running.size} running handler${running.size === 1 ? "" : "s"}`,
      );
      const grace = setTimeout(() => {
        for (const job of running) {
          job.killed = true;
          job.run.kill(KILL_AFTER_MS);
        }
      }, opts.graceMs);
      await Promise.all([...running].map((j) => j.done));
      clearTimeout(grace);
    } else {
      await Promise.all([...running].map((j) => j.done));
    }
  };

  const run = async (): Promise<ExecResult> => {
    const startedAt = new Date();
    hooks.ready(name, prepared.resumed, attempts);
    const stopReports = reportConnectionEvents(conn.nc, hooks, () => stopping !== null);
    armIdle();
    let troubled = false;
    try {
      while (!stopping && fatal === undefined) {
        try {
          await pullOnce();
          troubled = false;
        } catch (err) {
          consumer = undefined;
          if (stopping) break;
          const code = jsErrorCode(err);
          if (
            code === JsErr.ConsumerNotFound ||
            code === JsErr.StreamNotFound ||
            conn.nc.isClosed()
          )
            throw toCliError(err, { stream: opts.stream, consumer: name, phase: "request" });
          if (!troubled) {
            hooks.warn(
              `pulling from ${opts.stream} failed (${err instanceof Error ? err.message : String(err)}); retrying…`,
            );
          }
          troubled = true;
          await sleep(1_000);
        }
      }
      await drain();
    } finally {
      stopReports();
      clearTimeout(idleTimer);
      if (!opts.durable) await jsm.consumers.delete(opts.stream, name).catch(() => undefined);
    }
    if (fatal !== undefined) {
      throw fatal instanceof CliError
        ? fatal
        : new CliError(`listen --exec: ${String(fatal)}`, ExitCode.Internal, { cause: fatal });
    }
    return { counts, givenUpSeqs, reason: stopping ?? "count", consumer: name, startedAt };
  };

  return { run, stop };
}

/** "handler exited 1 on attempt 3 of 3" */
export function failureText(exit: HandlerExit, attempt: number): string {
  const how = exit.spawnError
    ? `handler could not be started (${exit.spawnError})`
    : exit.signal
      ? `handler was ended by ${exit.signal}`
      : `handler exited ${exit.code}`;
  return `${how} on attempt ${attempt}, the last allowed`;
}
