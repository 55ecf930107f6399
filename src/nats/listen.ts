// Durable processing for `listen`: a pull consumer with explicit acks. Each message is
// handed to the writer and acknowledged only once it was written out; what was pulled
// but not written when listening stops is handed back at once (nak). Pulls are bounded
// fetches (never more than --count still needs), so `listen --count 1` in a loop does
// not strand messages until the ack wait. Through a backlog the next pull is asked for as
// soon as one has delivered all it asked for, so it travels while that one's last burst is
// written and acknowledged: one pull outstanding at a time, never two. Lost connections and server restarts are
// ridden out: the fetch loop retries, a vanished ephemeral consumer is recreated after
// the last acknowledged message.

import type {
  Consumer,
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  JetStreamManager,
  JsMsg,
} from "nats";
import { CliError, ExitCode } from "../errors.js";
import { createAckLedger, type AckLedger } from "./acks.js";
import { BURST_BYTES, BURST_COUNT, NOTHING_YET, readyOrNot } from "../util/bursts.js";
import type { StoredMessage } from "../domain/stored-message.js";
import type { DeliverSpec } from "../parse.js";
import type { Connection } from "./connection.js";
import { JsErr, jsErrorCode, natsErrorCode, toCliError } from "./errors.js";
import { consumerConfig, deliverConfig, toStoredMessage } from "./messages.js";
import { reportConnectionEvents } from "./status.js";
import { consumerAnswers } from "./reader-consumer.js";
import { retryBudgetMs } from "./retry.js";

export const DEFAULT_DURABLE = "tweetstream-listen";

/** Largest pull; small enough that a stop hands back little, large enough for throughput. */
const BATCH = 256;
/** Longest a pull waits on the server; also how fast a lost pull is noticed and replaced. */
const PULL_MS = 5_000;
/** Ephemeral consumers outlive a listener that died by this much (a server restart fits). */
const EPHEMERAL_IDLE_NS = 60 * 1e9;
const NS_PER_MS = 1_000_000;
/** On a stop, how long the pull in progress may take to end by itself (see stop()). */
const STOP_WAIT_MS = 2_000;

export interface ListenOptions {
  stream: string;
  /** full subject or wildcard; undefined = everything the stream stores */
  filter?: string;
  /** durable consumer name; undefined = ephemeral */
  durable?: string;
  /** only when given: compared with an existing durable */
  deliver?: DeliverSpec;
  ackWaitMs?: number;
  maxDeliver?: number;
  /** stop after this many messages were written */
  count?: number;
  /** stop when no message arrived for this long */
  idleMs?: number;
  /**
   * start with one message per pull and double up to a full batch: for a pipe, where
   * what is written counts as handed over, a reader that stops early (`| head -1`) has
   * been handed only a little
   */
  slowStart?: boolean;
  /** how long the end of a run may keep re-sending unconfirmed acks (default: the retry budget, 3 × the API timeout) */
  ackBudgetMs?: number;
}

export type StopReason = "count" | "idle" | "SIGINT" | "SIGTERM" | "stdout";

export interface ListenResult {
  written: number;
  /** acks that no consumer leader confirmed within the budget (the events come again) */
  unconfirmed: number;
  reason: StopReason;
  consumer: string;
}

export interface ListenHooks {
  /** one message as the text to write (with its newline); may warn about it */
  render(msg: StoredMessage): string;
  /** writes rendered messages out; resolves false when they could not be (stdout closed) */
  write(text: string): Promise<boolean>;
  /** the consumer is ready (name, whether it resumed an existing durable) */
  ready?(consumer: string, resumed: boolean): void;
  /** a warning for the user: lost connection, retries */
  warn(text: string): void;
  /** a note for the user: reconnected */
  info(text: string): void;
}

export interface Listener {
  run(): Promise<ListenResult>;
  stop(reason: StopReason): void;
}

export function wantedConfig(opts: ListenOptions): Partial<ConsumerConfig> {
  const config: Record<string, unknown> = {
    ack_policy: "explicit",
    ...deliverConfig(opts.deliver),
  };
  if (opts.durable) config.durable_name = opts.durable;
  else config.inactive_threshold = EPHEMERAL_IDLE_NS;
  if (opts.filter) config.filter_subject = opts.filter;
  if (opts.ackWaitMs !== undefined) config.ack_wait = opts.ackWaitMs * NS_PER_MS;
  if (opts.maxDeliver !== undefined) config.max_deliver = opts.maxDeliver;
  return consumerConfig(config);
}

function durationText(ns: number | undefined): string {
  if (!ns) return "the default";
  const ms = ns / NS_PER_MS;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Why an existing durable cannot be used as asked, or [] when it can. */
export function durableMismatches(existing: ConsumerConfig, opts: ListenOptions): string[] {
  const diffs: string[] = [];
  const filters =
    existing.filter_subjects ?? (existing.filter_subject ? [existing.filter_subject] : []);
  if (opts.filter !== undefined && !(filters.length === 1 && filters[0] === opts.filter)) {
    diffs.push(
      `its subject filter is ${filters.length ? filters.join(", ") : "none (the whole stream)"}, requested ${opts.filter}`,
    );
  }
  if (String(existing.ack_policy) !== "explicit") {
    diffs.push(`its ack policy is ${existing.ack_policy}, listen needs explicit`);
  }
  if (opts.ackWaitMs !== undefined && existing.ack_wait !== opts.ackWaitMs * NS_PER_MS) {
    diffs.push(
      `its ack wait is ${durationText(existing.ack_wait)}, requested ${durationText(opts.ackWaitMs * NS_PER_MS)}`,
    );
  }
  if (opts.maxDeliver !== undefined && (existing.max_deliver ?? -1) !== opts.maxDeliver) {
    diffs.push(`its max deliver is ${existing.max_deliver ?? -1}, requested ${opts.maxDeliver}`);
  }
  if (opts.deliver !== undefined) {
    const want = deliverConfig(opts.deliver);
    const same =
      existing.deliver_policy === want.deliver_policy &&
      (want.opt_start_seq === undefined || existing.opt_start_seq === want.opt_start_seq) &&
      (want.opt_start_time === undefined ||
        Date.parse(String(existing.opt_start_time)) === Date.parse(String(want.opt_start_time)));
    if (!same) {
      const have = existing.opt_start_seq ?? existing.opt_start_time;
      diffs.push(
        `it delivers ${existing.deliver_policy}${have ? ` ${have}` : ""}, requested ${want.deliver_policy}${(want.opt_start_seq ?? want.opt_start_time) ? ` ${want.opt_start_seq ?? want.opt_start_time}` : ""}`,
      );
    }
  }
  return diffs;
}

/**
 * What to do about a durable with other settings: when only what `consumer edit` changes
 * differs (ack wait, max deliver), change it in place, keeping its position.
 */
function mismatchAdvice(existing: ConsumerConfig, opts: ListenOptions): string {
  const flags: string[] = [];
  if (opts.ackWaitMs !== undefined && existing.ack_wait !== opts.ackWaitMs * NS_PER_MS)
    flags.push(`--wait ${durationText(opts.ackWaitMs * NS_PER_MS)}`);
  if (opts.maxDeliver !== undefined && (existing.max_deliver ?? -1) !== opts.maxDeliver)
    flags.push(`--max-deliver ${opts.maxDeliver}`);
  const others = { ...opts, ackWaitMs: undefined, maxDeliver: undefined };
  const target = `${opts.stream} ${opts.durable}`;
  if (flags.length > 0 && durableMismatches(existing, others).length === 0) {
    return (
      `Change it in place, keeping its position: tweetstream consumer edit ${target} ` +
      `${flags.join(" ")} --force (or use the same settings, or another --durable name)`
    );
  }
  return (
    `Use the same settings (or leave them out to take its own), another --durable name, ` +
    `or remove it (tweetstream consumer rm ${target} --force)`
  );
}

function pushConsumerError(stream: string, name: string): CliError {
  return new CliError(
    `durable ${name} on stream ${stream} is a push consumer (it has a deliver subject; the article's Go ` +
      `js.Subscribe(..., nats.Durable("${name}")) creates one) and listen reads through a pull consumer: ` +
      `use another --durable name, or if nothing subscribes to it any more remove it (tweetstream consumer rm ${stream} ${name})`,
    ExitCode.Conflict,
  );
}

async function findConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<ConsumerInfo | null> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (err) {
    if (jsErrorCode(err) === JsErr.ConsumerNotFound) return null;
    throw toCliError(err, { stream, consumer: name, phase: "request" });
  }
}

/** The durable (found and checked, or created) or a new ephemeral consumer. */
export async function prepareConsumer(
  jsm: JetStreamManager,
  opts: ListenOptions,
  config: Partial<ConsumerConfig>,
): Promise<{ info: ConsumerInfo; resumed: boolean }> {
  const ctx = { stream: opts.stream, consumer: opts.durable, phase: "request" as const };
  try {
    await jsm.streams.info(opts.stream);
  } catch (err) {
    throw toCliError(err, ctx);
  }
  if (opts.durable) {
    const existing = await findConsumer(jsm, opts.stream, opts.durable);
    if (existing) {
      if (existing.config.deliver_subject) throw pushConsumerError(opts.stream, opts.durable);
      const diffs = durableMismatches(existing.config, opts);
      if (diffs.length > 0) {
        throw new CliError(
          `durable ${opts.durable} on stream ${opts.stream} exists with other settings: ${diffs.join("; ")}. ` +
            mismatchAdvice(existing.config, opts),
          ExitCode.Conflict,
        );
      }
      return { info: existing, resumed: true };
    }
  }
  try {
    return { info: await jsm.consumers.add(opts.stream, config), resumed: false };
  } catch (err) {
    const code = jsErrorCode(err);
    if (
      opts.durable &&
      (code === JsErr.ConsumerExists ||
        code === JsErr.ConsumerNameExists ||
        code === JsErr.ConsumerAlreadyExists)
    ) {
      // created at the same moment by another listener: judge what is there now
      const now = await findConsumer(jsm, opts.stream, opts.durable);
      if (now) {
        if (now.config.deliver_subject) throw pushConsumerError(opts.stream, opts.durable);
        const diffs = durableMismatches(now.config, opts);
        if (diffs.length === 0) return { info: now, resumed: true };
      }
    }
    throw toCliError(err, ctx);
  }
}

type Health = "ok" | "consumer-gone" | "stream-gone" | "unreachable";

async function health(jsm: JetStreamManager, stream: string, consumer: string): Promise<Health> {
  try {
    await jsm.consumers.info(stream, consumer);
    return "ok";
  } catch (err) {
    const code = jsErrorCode(err);
    if (code === JsErr.ConsumerNotFound) return "consumer-gone";
    if (code === JsErr.StreamNotFound) return "stream-gone";
    return "unreachable";
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fetch asked for: how many messages, from which consumer (by name). */
interface Pull {
  messages: Promise<ConsumerMessages>;
  asked: number;
  consumer: string;
}

export async function createListener(
  conn: Connection,
  opts: ListenOptions,
  hooks: ListenHooks,
): Promise<Listener> {
  const jsm = await conn.jsm();
  const config = wantedConfig(opts);
  const budgetMs = retryBudgetMs(conn.settings.timeoutMs);
  const prepared = await prepareConsumer(jsm, opts, config);
  let name = prepared.info.name;
  const newLedger = (info: ConsumerInfo): AckLedger =>
    createAckLedger(conn.nc, jsm, {
      stream: opts.stream,
      consumer: () => name,
      initial: info,
      timeoutMs: conn.settings.timeoutMs,
      budgetMs: opts.ackBudgetMs ?? budgetMs,
      warn: hooks.warn,
    });
  let ledger = newLedger(prepared.info);
  /** pull size: grows from 1 with slowStart (see ListenOptions) */
  let batch = opts.slowStart ? 1 : BATCH;

  let stopping: StopReason | null = null;
  let current: { stop(): void } | null = null;
  let written = 0;
  let lastSeq = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let idleDeadline = 0;
  let wake: (() => void) | null = null;
  let consumer: Consumer | undefined;
  /** the next pull, asked for while the previous one's last burst is written */
  let ahead: Pull | null = null;

  // On a signal (or stdout closing) the pull in progress is not cut off at once: the
  // server may be about to send it (slow under load), and what reaches a closed
  // subscription is dropped by the client while the server counts it as delivered, so it
  // would come again only after the ack wait. The pull may end by itself (all it asked for
  // delivered: a backlog) for up to STOP_WAIT_MS; a pull still waiting on an idle stream
  // is cut off then, or at once when the server says it has nothing left to send and all
  // it sent arrived. What it brings is handed back (nak) once it ended, so that nothing is
  // redelivered into the same pull. A --count pull asks for no more than is needed.
  let stopTimer: NodeJS.Timeout | undefined;
  /** highest consumer (delivery) sequence received; what was delivered before this run is not on its way */
  let received = prepared.info.delivered.consumer_seq;
  const stop = (reason: StopReason) => {
    if (stopping) return;
    stopping = reason;
    clearTimeout(idleTimer);
    if (reason === "idle") current?.stop();
    else {
      stopTimer = setTimeout(() => current?.stop(), STOP_WAIT_MS).unref();
      void jsm.consumers.info(opts.stream, name).then(
        (ci) => {
          if (ci.num_pending === 0 && ci.delivered.consumer_seq <= received) current?.stop();
        },
        () => undefined,
      );
    }
    wake?.();
  };
  const armIdle = () => {
    if (opts.idleMs === undefined) return;
    clearTimeout(idleTimer);
    idleDeadline = Date.now() + opts.idleMs;
    idleTimer = setTimeout(() => stop("idle"), opts.idleMs);
  };

  /** `why`: the old one was removed by the server, or its server does not answer */
  const recreateEphemeral = async (why: "removed" | "silent") => {
    const resume =
      lastSeq > 0 ? { deliver_policy: "by_start_sequence", opt_start_seq: lastSeq + 1 } : {};
    const info = await jsm.consumers.add(opts.stream, consumerConfig({ ...config, ...resume }));
    if (why === "silent") void jsm.consumers.delete(opts.stream, name).catch(() => undefined);
    name = info.name;
    received = info.delivered.consumer_seq;
    consumer = undefined;
    // the acks of the removed consumer cannot be confirmed any more; its events are not
    // redelivered to the new one, which starts after them
    ledger = newLedger(info);
    hooks.warn(
      `the ephemeral consumer ${why === "removed" ? "was removed by the server" : "no longer answers (its server was lost)"}; continuing with a new one after sequence ${lastSeq}`,
    );
  };

  /** Asks for the next pull: at most `batch`, and no more than --count still needs. */
  const startPull = (on: Consumer, needed: number): Pull | null => {
    const asked = Math.min(batch, needed);
    if (asked <= 0) return null;
    batch = Math.min(BATCH, batch * 2);
    const untilIdle = opts.idleMs === undefined ? PULL_MS : idleDeadline - Date.now();
    const messages = on
      .fetch({ max_messages: asked, expires: Math.min(PULL_MS, Math.max(1_000, untilIdle)) })
      .then((m) => {
        // the pull outstanding is the one a stop cuts off
        current = m;
        if (stopping === "idle") m.stop();
        return m;
      });
    // a pull asked for ahead may fail before it is awaited: that is seen when it is
    messages.catch(() => undefined);
    return { messages, asked, consumer: name };
  };
  const stillNeeded = (pending: number) =>
    opts.count === undefined ? BATCH : opts.count - written - pending;

  const pullOnce = async () => {
    let pull = ahead;
    ahead = null;
    if (!pull) {
      // looked up once (an API request), again only after a failure or a new consumer
      consumer ??= await conn.js().consumers.get(opts.stream, name);
      if (stopping) return;
      pull = startPull(consumer, stillNeeded(0));
      if (!pull) return;
    }
    const messages = await pull.messages;
    /** a pull of a consumer replaced since (an ephemeral one): nothing of it is written */
    const stale = pull.consumer !== name;
    // once stopping, nothing new is pulled: the loop ends after this fetch
    //
    // Messages are rendered into a buffer while more are already waiting in the client,
    // and the buffer is written in one go (then acknowledged) when none is: one write
    // per burst instead of one per message, and no latency added when they trickle in.
    let texts: string[] = [];
    let held: JsMsg[] = [];
    /** pulled after a stop: handed back once the pull ended */
    const handBack: JsMsg[] = [];
    let size = 0;
    const flush = async () => {
      if (held.length === 0) return;
      const msgs = held;
      const text = texts.join("");
      held = [];
      texts = [];
      size = 0;
      if (!(await hooks.write(text))) {
        handBack.push(...msgs);
        stop("stdout");
        return;
      }
      written += msgs.length;
      await ledger.acknowledge(msgs);
      lastSeq = msgs[msgs.length - 1]!.info.streamSequence;
      if (opts.count !== undefined && written >= opts.count) stop("count");
    };
    let got = 0;
    const iter = (messages as AsyncIterable<JsMsg>)[Symbol.asyncIterator]();
    let next = iter.next();
    try {
      for (;;) {
        // a fetch queues nothing but messages after its first pull, so anything pending
        // here is a message (or the end): only when nothing is may the next take a while
        let r =
          held.length > 0 && messages.getPending() === 0 ? await readyOrNot(next) : await next;
        if (r === NOTHING_YET) {
          await flush();
          r = await next;
        }
        if (r.done) {
          // it brought all it asked for: there is more, ask for it while this is written
          if (got === pull.asked && !stopping && !stale && consumer)
            ahead = startPull(consumer, stillNeeded(held.length));
          break;
        }
        const m = r.value;
        got++;
        received = Math.max(received, m.info.deliverySequence);
        next = iter.next();
        // pulled but not to be written: back to the server at once
        if (stopping || stale) {
          if (ledger.alreadyWritten(m)) ledger.ackAgain(m);
          else handBack.push(m);
          continue;
        }
        armIdle();
        if (ledger.alreadyWritten(m)) {
          // a redelivery (e.g. after a consumer leader change) of what this run wrote
          ledger.ackAgain(m);
          continue;
        }
        let text: string;
        try {
          text = hooks.render(toStoredMessage(m));
        } catch (err) {
          m.nak();
          throw new CliError(`cannot render message ${m.seq}: ${String(err)}`, ExitCode.Internal);
        }
        texts.push(text);
        held.push(m);
        size += text.length;
        if (held.length >= BURST_COUNT || size >= BURST_BYTES) await flush();
      }
    } finally {
      next.catch(() => undefined);
      await flush();
      if (current === messages) current = null;
      // in stream order: a burst the pipe refused is handed back after messages that came
      // behind it once the stop was seen, and the server redelivers in the order of the naks
      handBack.sort((a, b) => a.info.streamSequence - b.info.streamSequence);
      for (const m of handBack) m.nak();
    }
    // nothing came: an idle stream, or an ephemeral (one-replica) consumer whose node died,
    // which no server answers for (a durable is replicated with the stream: it moves)
    if (got === 0 && !stopping && !opts.durable) {
      const answer = await consumerAnswers(conn, opts.stream, name);
      if (answer !== "ok") await recreateEphemeral(answer === "gone" ? "removed" : "silent");
    }
  };

  const run = async (): Promise<ListenResult> => {
    hooks.ready?.(name, prepared.resumed);
    void reportConnectionEvents(conn.nc, hooks, () => stopping !== null).catch(() => undefined);
    armIdle();
    let troubled = false;
    let unconfirmed = 0;
    try {
      // a pull asked for ahead is still read after a stop: what it brings is handed back
      while (!stopping || ahead) {
        try {
          await pullOnce();
          if (troubled && !stopping) troubled = false;
        } catch (err) {
          consumer = undefined;
          if (stopping) {
            // a pull asked for ahead is cut off: what it brought comes again after the ack wait
            void ahead?.messages.then(
              (m) => m.stop(),
              () => undefined,
            );
            ahead = null;
            break;
          }
          if (err instanceof CliError) throw err;
          if (conn.nc.isClosed())
            throw toCliError(err, { phase: "request", servers: conn.settings.servers });
          const code = natsErrorCode(err);
          if (code === "PERMISSIONS_VIOLATION") throw toCliError(err, { phase: "request" });
          // an ephemeral consumer whose node died gets "no responders" from 2.15: asked
          // once, briefly, rather than through the retry budget of the check below
          if (
            !opts.durable &&
            code === "503" &&
            (await consumerAnswers(conn, opts.stream, name)) === "silent"
          ) {
            try {
              await recreateEphemeral("silent");
              continue;
            } catch {
              // the stream may be gone: the check below says
            }
          }
          const h = await health(jsm, opts.stream, name);
          if (h === "stream-gone")
            throw new CliError(
              `stream ${opts.stream} was removed while listening`,
              ExitCode.NotFound,
            );
          if (h === "consumer-gone") {
            if (opts.durable)
              throw new CliError(
                `durable ${opts.durable} was removed from stream ${opts.stream} while listening`,
                ExitCode.NotFound,
              );
            try {
              await recreateEphemeral("removed");
              continue;
            } catch {
              // fall through to the retry below
            }
          }
          if (!troubled)
            hooks.warn(
              `pulling from ${opts.stream} failed (${err instanceof Error ? err.message : String(err)}); retrying…`,
            );
          troubled = true;
          await new Promise<void>((resolve) => {
            wake = resolve;
            void delay(1_000).then(resolve);
          });
          wake = null;
        }
      }
      // nothing is reported before every ack is confirmed (or the budget ran out)
      unconfirmed = await ledger.settle();
    } finally {
      clearTimeout(idleTimer);
      clearTimeout(stopTimer);
      if (!opts.durable) await jsm.consumers.delete(opts.stream, name).catch(() => undefined);
    }
    return { written, unconfirmed, reason: stopping ?? "count", consumer: name };
  };

  return { run, stop };
}
