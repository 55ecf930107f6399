// listen's consumer: the options a listener is asked for, the consumer configuration
// they make, the durable found and checked (or created) or a new ephemeral one, and what
// a listener does about it when its session's probe (consumer-session.ts, observed mode:
// listen makes its consumers itself) says it is gone or silent.
// Shared by listen (listen.ts) and its --exec workers (exec-worker.ts).

import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "nats";
import { CliError, ExitCode } from "../errors.js";
import type { DeliverSpec } from "../parse.js";
import { JsErr, jsErrorCode, toCliError } from "./errors.js";
import type { Probe } from "./consumer-session.js";
import { consumerConfig, deliverConfig } from "./messages.js";
import { NS_PER_MS } from "../util/time.js";

export const DEFAULT_DURABLE = "tweetstream-listen";

/** Ephemeral consumers outlive a listener that died by this much (a server restart fits). */
const EPHEMERAL_IDLE_NS = 60 * 1e9;

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
  const scope = { stream: opts.stream, consumer: opts.durable, phase: "request" as const };
  try {
    await jsm.streams.info(opts.stream);
  } catch (err) {
    throw toCliError(err, scope);
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
    throw toCliError(err, scope);
  }
}

/**
 * What a listener does about its consumer once its session's probe answered: after a
 * pull that brought nothing (asked for an ephemeral consumer only: a durable is
 * replicated with the stream and moves with it), or after a pull that failed. A durable
 * is the user's and never made again (that would restart it from its deliver policy); an
 * ephemeral one is made again after the last written sequence, by listen (its acks start
 * over with it).
 */
export type ListenRecovery =
  | { kind: "go-on" }
  | { kind: "recreate"; why: "removed" | "silent" }
  | { kind: "end"; error: CliError };

const streamRemoved = (stream: string): ListenRecovery => ({
  kind: "end",
  error: new CliError(`stream ${stream} was removed while listening`, ExitCode.NotFound),
});

/** After a pull of an ephemeral consumer that brought nothing: an idle stream, or not. */
export function afterEmptyPull(probe: Probe, stream: string): ListenRecovery {
  if (probe === "stream-gone") return streamRemoved(stream);
  if (probe === "ok") return { kind: "go-on" };
  return { kind: "recreate", why: probe === "consumer-gone" ? "removed" : "silent" };
}

/**
 * After a failed pull (go-on: pull again after a pause). An ephemeral consumer that does
 * not answer is made again only when the pull got "no responders" (2.15's answer for a
 * one-replica consumer whose node died); a pull that timed out rides out a reconnect.
 */
export function afterFailedPull(
  probe: Probe,
  opts: Pick<ListenOptions, "stream" | "durable">,
  noResponders: boolean,
): ListenRecovery {
  const { stream, durable } = opts;
  if (probe === "stream-gone") return streamRemoved(stream);
  if (probe === "consumer-gone") {
    if (!durable) return { kind: "recreate", why: "removed" };
    return {
      kind: "end",
      error: new CliError(
        `durable ${durable} was removed from stream ${stream} while listening`,
        ExitCode.NotFound,
      ),
    };
  }
  if (probe === "silent" && !durable && noResponders) return { kind: "recreate", why: "silent" };
  return { kind: "go-on" };
}
