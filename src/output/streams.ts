// Human renderings of streams: the `stream ls` table (like `nats stream ls`, fitted to
// the terminal), the `stream info` report, and configuration fields as people read them
// (durations and sizes, never raw nanoseconds) for edit and conflict messages.

import type { ChalkInstance } from "chalk";
import type { ClusterInfo, StreamInfo } from "nats";
import type { ConfigChange } from "../nats/streams.js";
import { formatAge, formatBytes, formatCount, formatDuration, formatTime } from "./format.js";
import { safeText } from "./safe-text.js";
import { listColumns, renderTable } from "./table.js";

const NS_PER_MS = 1_000_000;

/** Servers before 2.10 report "0001-01-01T00:00:00Z" for "no message yet". */
function realDate(ts: string | undefined): Date | null {
  return !ts || ts.startsWith("0001-01-01") ? null : new Date(ts);
}

const limit =
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
};

function field(name: string): [string, (v: unknown) => string] {
  return FIELDS[name] ?? [name.replace(/_/g, " "), (v) => JSON.stringify(v) ?? "unset"];
}

/** "max age is unlimited, requested 1h". */
export function describeConflict(c: ConfigChange): string {
  const [label, show] = field(c.field);
  return `${label} is ${show(c.from)}, requested ${show(c.to)}`;
}

/** "max age: unlimited → 1h". */
export function describeChange(c: ConfigChange): string {
  const [label, show] = field(c.field);
  return `${label}: ${show(c.from)} → ${show(c.to)}`;
}

/** One indented line per change, for the edit prompt and result. */
export function renderConfigChanges(changes: ConfigChange[]): string {
  return changes.map((c) => `  ${describeChange(c)}`).join("\n");
}

/** stream ls, fitted to a terminal `width` wide (see listColumns). */
const LS_COLUMNS = listColumns(
  { header: "Messages", align: "right" },
  { header: "Size", align: "right" },
  { header: "Last Message", align: "right", dropRank: 3 },
);

export async function renderStreamTable(
  streams: StreamInfo[],
  color: ChalkInstance,
  width?: number,
): Promise<string> {
  if (streams.length === 0) return "No streams defined";
  const degraded: string[] = [];
  const rows = streams.map((s) => [
    markDegraded(s, degraded, color),
    safeText(s.config.description ?? ""),
    formatTime(new Date(s.created)),
    formatCount(s.state.messages),
    formatBytes(s.state.bytes),
    formatAge(s.state.last_seq > 0 ? realDate(s.state.last_ts) : null),
  ]);
  const notes = degraded.map((d) => `\n${color.yellow("!")} replicas not all current: ${d}`);
  return `${color.bold("Streams")}\n${await renderTable(LS_COLUMNS, rows, color, width)}${notes.join("")}`;
}

/** `replicaNote`: why this server is not recommended for replicas (a row of its own). */
export function renderStreamInfo(
  info: StreamInfo,
  color: ChalkInstance,
  replicaNote?: string,
): string {
  const c = info.config;
  const s = info.state;
  const rows = (pairs: [string, string][]) => {
    const width = Math.max(...pairs.map(([k]) => k.length));
    return pairs.map(([k, v]) => `  ${k.padStart(width)}: ${v}`).join("\n");
  };
  const show = (name: keyof typeof c) => field(name)[1](c[name]);
  const firstTs = s.messages > 0 ? realDate(s.first_ts) : null;
  const lastTs = s.last_seq > 0 ? realDate(s.last_ts) : null;
  const seqTime = (seq: number, ts: Date | null) =>
    ts ? `${formatCount(seq)} @ ${formatTime(ts)}` : formatCount(seq);
  return [
    color.bold(`Information for stream ${c.name} created ${formatTime(new Date(info.created))}`),
    "",
    color.bold("Configuration:"),
    rows([
      ["Subjects", show("subjects")],
      ["Description", safeText(c.description ?? "") || "-"],
      ["Storage", show("storage")],
      ["Replicas", show("num_replicas")],
      ["Retention", show("retention")],
      ["Discard", show("discard")],
      ["Maximum Age", show("max_age")],
      ["Maximum Messages", show("max_msgs")],
      ["Maximum Bytes", show("max_bytes")],
      ["Maximum Message Size", show("max_msg_size")],
      ["Maximum Per Subject", show("max_msgs_per_subject")],
      ["Duplicate Window", show("duplicate_window")],
    ]),
    "",
    color.bold("State:"),
    rows([
      ["Messages", formatCount(s.messages)],
      ["Bytes", formatBytes(s.bytes)],
      ["First Sequence", seqTime(s.first_seq, firstTs)],
      ["Last Sequence", seqTime(s.last_seq, lastTs)],
      ["Last Message", formatAge(lastTs) + (lastTs ? " ago" : "")],
      ["Active Consumers", formatCount(s.consumer_count)],
    ]),
    ...renderClusterInfo(info.cluster, color),
    ...(replicaNote ? ["", `  ${color.yellow("Warning")}: ${replicaNote}`] : []),
  ].join("\n");
}

// ---- cluster (replicated streams; from feat/cluster, ported to StreamInfo) ----

/** The stream's name, marked "!" (and its problem noted) when its replicas are not whole. */
function markDegraded(s: StreamInfo, degraded: string[], color: ChalkInstance): string {
  const problem = clusterProblem(s.cluster);
  if (!problem) return s.config.name;
  degraded.push(`${s.config.name}: ${problem}`);
  return `${s.config.name} ${color.yellow("!")}`;
}

/** Why a replicated stream is not whole (no leader, replicas offline or behind), else undefined. */
export function clusterProblem(cluster: ClusterInfo | undefined): string | undefined {
  if (!cluster?.name) return undefined; // not clustered
  const problems: string[] = [];
  if (!cluster.leader) problems.push("no leader (an election is in progress)");
  for (const r of cluster.replicas ?? []) {
    if (r.offline) problems.push(`${r.name} offline`);
    else if (!r.current) problems.push(`${r.name} outdated`);
  }
  return problems.length > 0 ? problems.join(", ") : undefined;
}

/**
 * The "Cluster Information" section of `stream info`, like natscli's: cluster name, leader,
 * and per replica current/outdated, offline, last seen and lag. Empty when not clustered.
 */
export function renderClusterInfo(
  cluster: ClusterInfo | undefined,
  color: ChalkInstance,
): string[] {
  if (!cluster?.name) return [];
  const rows: [string, string][] = [
    ["Name", cluster.name],
    ["Leader", cluster.leader ?? color.red("none (an election is in progress)")],
  ];
  for (const r of cluster.replicas ?? []) {
    const parts = [r.name, r.current ? "current" : color.yellow("outdated")];
    if (r.offline) parts.push(color.red("OFFLINE"));
    if (r.active !== undefined)
      parts.push(`seen ${formatDuration(Math.round(r.active / NS_PER_MS))} ago`);
    if (r.lag) parts.push(`${formatCount(r.lag)} operations behind`);
    rows.push(["Replica", parts.join(", ")]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    "",
    color.bold("Cluster Information:"),
    ...rows.map(([k, v]) => `  ${k.padStart(width)}: ${v}`),
  ];
}
