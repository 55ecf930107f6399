// The consumer configuration options of `consumer add` and `consumer edit`, with natscli's
// flag names (--ack, --wait, --max-deliver, --max-pending, --backoff, --deliver, --filter,
// --description, --pull/--target), and their translation into the API's ConsumerConfig
// (durations in nanoseconds). Only the options given become fields.

import { Command, Option } from "commander";
import type { ConsumerConfig } from "nats";
import { usageError } from "../../errors.js";
import { deliverConfig } from "../../nats/messages.js";
import {
  MAX_SERVER_DURATION_MS,
  parseCount,
  parseDeliver,
  parseDuration,
  parseLimit,
  validateSubject,
} from "../../parse.js";
import { resolveSubjectOption } from "../../subjects.js";
import { NS_PER_MS } from "../../util/time.js";

export interface ConsumerFlags {
  description?: string;
  wait?: string;
  maxDeliver?: string;
  maxPending?: string;
  backoff?: "none" | "linear";
  backoffSteps?: string;
  backoffMin?: string;
  backoffMax?: string;
  filter?: string;
  /** add only */
  ack?: string;
  deliver?: string;
  pull?: boolean;
  target?: string;
}

const duration = (what: string, v: string) =>
  parseDuration(v, what, { max: MAX_SERVER_DURATION_MS });

/** natscli's linear backoff (jsm.go LinearBackoffPeriods): `steps` from min towards max, ms. */
export function linearBackoff(steps: number, minMs: number, maxMs: number): number[] {
  const [lo, hi] = minMs <= maxMs ? [minMs, maxMs] : [maxMs, minMs];
  const step = Math.floor((hi - lo) / steps);
  if (hi !== lo && step === 0)
    throw usageError(`--backoff-min and --backoff-max are too close for ${steps} steps`);
  return Array.from({ length: steps }, (_, i) => lo + i * step);
}

/** The options both commands have: what the server lets change on an existing consumer. */
export function addChangeableOptions(cmd: Command): Command {
  return cmd
    .option("--description <text>", "description")
    .option("--wait <duration>", "ack wait: redeliver what is not acked within it (server: 30s)")
    .option("--max-deliver <n>", "deliver a message at most n times (-1: unlimited)")
    .option("--max-pending <n>", "max acks pending before delivery pauses (-1: unlimited)")
    .addOption(
      new Option(
        "--backoff <mode>",
        "redelivery backoff: linear from --backoff-min to -max",
      ).choices(["none", "linear"]),
    )
    .option("--backoff-steps <n>", "number of backoff steps (default: 10)")
    .option("--backoff-min <duration>", "shortest backoff (default: 1m)")
    .option("--backoff-max <duration>", "longest backoff (default: 20m)")
    .option("--filter <subject>", "only this subject (full, wildcard, tweet_created, tweet_liked)");
}

/** The options only `consumer add` has: the kind of consumer and where it starts. */
export function addCreateOptions(cmd: Command): Command {
  return cmd
    .option("--pull", "a pull consumer (the default; what listen and consumer next read)")
    .option("--target <subject>", "a push consumer delivering to this subject")
    .addOption(
      new Option("--ack <policy>", "ack policy (default: explicit)").choices([
        "explicit",
        "all",
        "none",
      ]),
    )
    .option("--deliver <policy>", "start: all (default), new, last, a sequence, a time, 1h (ago)")
    .option("--defaults", "accepted for natscli's sake: tweetstream never prompts");
}

/** The ConsumerConfig fields the options ask for (only those given). */
export function requestedConsumerConfig(stream: string, f: ConsumerFlags): Partial<ConsumerConfig> {
  const count = (what: string, v: string) => parseLimit(v, (s) => parseCount(s, what));
  const fields: Record<string, unknown> = {
    description: f.description,
    ack_wait: f.wait === undefined ? undefined : duration("--wait", f.wait) * NS_PER_MS,
    max_deliver: f.maxDeliver === undefined ? undefined : count("--max-deliver", f.maxDeliver),
    max_ack_pending: f.maxPending === undefined ? undefined : count("--max-pending", f.maxPending),
    filter_subject:
      f.filter === undefined ? undefined : validateSubject(resolveSubjectOption(stream, f.filter)),
    ack_policy: f.ack,
  };
  if (f.backoff === "none") fields.backoff = [];
  else if (f.backoff === "linear") {
    const steps = parseCount(f.backoffSteps ?? "10", "--backoff-steps");
    const min = duration("--backoff-min", f.backoffMin ?? "1m");
    const max = duration("--backoff-max", f.backoffMax ?? "20m");
    fields.backoff = linearBackoff(steps, min, max).map((ms) => ms * NS_PER_MS);
    // nats-server sets the ack wait to the backoff's first step (2.9 and 2.15 alike)
    if (f.wait !== undefined)
      throw usageError("--wait goes without --backoff linear: the server waits the first step");
  } else if ([f.backoffSteps, f.backoffMin, f.backoffMax].some((v) => v !== undefined))
    throw usageError("--backoff-steps, --backoff-min and --backoff-max go with --backoff linear");
  if (f.pull && f.target !== undefined)
    throw usageError("--pull and --target exclude each other: a consumer is pull or push");
  if (f.target !== undefined)
    fields.deliver_subject = validateSubject(f.target, { wildcards: false });
  if (f.deliver !== undefined) Object.assign(fields, deliverConfig(parseDeliver(f.deliver)));
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as Partial<ConsumerConfig>;
}
