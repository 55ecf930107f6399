// Configuration fields as people read them (durations and sizes, never raw nanoseconds), for
// stream and consumer edit, and the words of a configuration conflict (domain/config-change.ts),
// which cli.ts prints: kept apart from the stream renderings so that the error path stays light.

import type { ConfigChange, ConfigConflict } from "../domain/config-change.js";
import { NS_PER_MS } from "../util/time.js";
import { formatBytes, formatCount, formatDuration } from "./format.js";
import { safeText } from "./safe-text.js";

/** A limit's value, or "unlimited" for the API's -1. */
export const limit =
  (fmt: (n: number) => string) =>
  (n: number): string =>
    n < 0 ? "unlimited" : fmt(n);
const nsDuration = (ns: number) => formatDuration(ns / NS_PER_MS);

/** How each configuration field is named and shown; others show as JSON under their key. */
const FIELDS: Record<string, [label: string, show: (v: any) => string]> = {
  subjects: ["subjects", (v: string[]) => safeText((v ?? []).join(", ")) || "none"],
  description: ["description", (v: string) => (v ? safeText(JSON.stringify(v)) : "none")],
  storage: ["storage", String],
  num_replicas: ["replicas", String],
  retention: ["retention", String],
  discard: ["discard", String],
  max_age: ["max age", (v: number) => (v === 0 ? "unlimited" : nsDuration(v))],
  max_msgs: ["max messages", limit(formatCount)],
  max_bytes: ["max bytes", limit(formatBytes)],
  max_msg_size: ["max message size", limit(formatBytes)],
  max_msgs_per_subject: ["max messages per subject", limit(formatCount)],
  max_consumers: ["max consumers", limit(formatCount)],
  duplicate_window: ["duplicate window", nsDuration],
  // consumers
  ack_wait: ["ack wait", (v: number) => (v ? nsDuration(v) : "the default")],
  max_deliver: ["max deliveries", (v: number) => limit(formatCount)(v ?? -1)],
  max_ack_pending: ["max ack pending", (v: number) => limit(formatCount)(v ?? -1)],
  backoff: ["backoff", (v: number[]) => (v?.length ? v.map(nsDuration).join(", ") : "unset")],
  filter_subject: ["filter", (v: string) => (v ? safeText(v) : "none")],
  deliver_subject: ["push target", (v: string) => (v ? safeText(v) : "none (pull)")],
  ack_policy: ["ack policy", String],
  deliver_policy: ["deliver policy", String],
};

export function configField(name: string): [string, (v: unknown) => string] {
  return FIELDS[name] ?? [name.replace(/_/g, " "), (v) => JSON.stringify(v) ?? "unset"];
}

/** "max age is unlimited, requested 1h". */
export function describeConflict(c: ConfigChange): string {
  const [label, show] = configField(c.field);
  return `${label} is ${show(c.from)}, requested ${show(c.to)}`;
}

/** "max age: unlimited → 1h". */
export function describeChange(c: ConfigChange): string {
  const [label, show] = configField(c.field);
  return `${label}: ${show(c.from)} → ${show(c.to)}`;
}

/**
 * A configuration conflict in words: "stream S already exists with a different configuration:
 * max age is unlimited, requested 1h (change it with: …)", or what the server refused and why.
 */
export function describeConfigConflict(c: ConfigConflict): string {
  if (c.kind === "refused") {
    const text = `the server will not change stream ${c.name} (${c.changes.map(describeChange).join("; ")}): ${c.reason}`;
    return c.errCode ? `${text} (${c.errCode})` : text;
  }
  const which = c.entity === "stream" ? c.name : `${c.name} on stream ${c.stream}`;
  const edit =
    c.entity === "stream" ? `stream edit ${c.name}` : `consumer edit ${c.stream} ${c.name}`;
  return (
    `${c.entity} ${which} already exists with a different configuration: ` +
    c.changes.map(describeConflict).join("; ") +
    ` (change it with: tweetstream ${edit})`
  );
}
