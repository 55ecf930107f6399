// Human renderings of streams: the `stream ls` table (like `nats stream ls`, fitted to
// the terminal), the `stream info` report, and configuration fields as people read them
// (durations and sizes, never raw nanoseconds) for edit and conflict messages.

import type { ChalkInstance } from "chalk";
import type { ClusterInfo, StreamInfo } from "nats";
import type { ChangeImpact } from "../nats/edit-impact.js";
import type { ConfigChange } from "../domain/config-change.js";
import { configField, describeChange, limit } from "./config-change.js";
import {
  formatAge,
  formatBytes,
  formatCount,
  formatDuration,
  formatTime,
  plural,
  renderRows,
} from "./format.js";
import { NS_PER_MS } from "../util/time.js";
import { safeText } from "./safe-text.js";
import { listColumns, renderTable } from "./table.js";

/** Servers before 2.10 report "0001-01-01T00:00:00Z" for "no message yet". */
function realDate(ts: string | undefined): Date | null {
  return !ts || ts.startsWith("0001-01-01") ? null : new Date(ts);
}

/** What a change does to stored messages: "removes 990 stored messages", or "". */
export function describeImpact(c: ChangeImpact): string {
  const parts: string[] = [];
  if (c.removes)
    parts.push(`removes ${c.estimated ? "about " : ""}${plural(c.removes, "stored message")}`);
  if (c.orphaned) parts.push(`${plural(c.orphaned, "stored message")} left on dropped subjects`);
  return parts.join("; ");
}

/** One indented line per change (and what it removes), for the edit prompt and result. */
export function renderConfigChanges(changes: Array<ConfigChange & ChangeImpact>): string {
  return changes
    .map((c) => {
      const impact = describeImpact(c);
      return `  ${describeChange(c)}${impact ? ` (${impact})` : ""}`;
    })
    .join("\n");
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
  const rows = renderRows;
  const show = (name: keyof typeof c) => configField(name)[1](c[name]);
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
      ["Maximum Consumers", limit(formatCount)(c.max_consumers ?? -1)],
      ["Duplicate Window", show("duplicate_window")],
      ["Direct Get", yesNo(c.allow_direct)],
      ["Allows Msg Delete", yesNo(!c.deny_delete)],
      ["Allows Purge", yesNo(!c.deny_purge)],
      ["Allows Rollups", yesNo(c.allow_rollup_hdrs)],
      ...optionalConfigRows(c),
    ]),
    ...replicationRows(info, color),
    "",
    color.bold("State:"),
    rows([
      ["Messages", formatCount(s.messages)],
      ["Bytes", formatBytes(s.bytes)],
      ["First Sequence", seqTime(s.first_seq, firstTs)],
      ["Last Sequence", seqTime(s.last_seq, lastTs)],
      ["Last Message", formatAge(lastTs) + (lastTs ? " ago" : "")],
      ...stateCountRows(s),
      ["Active Consumers", formatCount(s.consumer_count)],
    ]),
    ...renderClusterInfo(info.cluster, color),
    ...(replicaNote ? ["", `  ${color.yellow("Warning")}: ${replicaNote}`] : []),
  ].join("\n");
}

const yesNo = (v: boolean | undefined) => (v ? "yes" : "no");

/** Rows natscli shows only when they apply: Sealed, Compression, Placement, Metadata. */
function optionalConfigRows(c: StreamInfo["config"]): [string, string][] {
  const out: [string, string][] = [];
  const more = c as StreamInfo["config"] & {
    compression?: string;
    metadata?: Record<string, string>;
  };
  if (c.sealed) out.push(["Sealed", "yes"]);
  if (more.compression && more.compression !== "none") out.push(["Compression", more.compression]);
  const placement = c.placement;
  if (placement?.cluster) out.push(["Placement Cluster", safeText(placement.cluster)]);
  if (placement?.tags?.length) out.push(["Placement Tags", safeText(placement.tags.join(", "))]);
  // the server's own keys (_nats.*, 2.11+) are its bookkeeping, not the user's metadata
  for (const [k, v] of Object.entries(more.metadata ?? {})) {
    if (!k.startsWith("_nats.")) out.push(["Metadata", safeText(`${k}: ${v}`)]);
  }
  return out;
}

/** natscli's "Mirror Information" / "Source Information": per upstream, its lag and last contact. */
function replicationRows(info: StreamInfo, color: ChalkInstance): string[] {
  const upstreams = [
    ...(info.mirror ? [["Mirror Information:", info.mirror] as const] : []),
    ...(info.sources ?? []).map((s) => ["Source Information:", s] as const),
  ];
  return upstreams.flatMap(([title, u]) => {
    const seen = u.active !== undefined && u.active >= 0;
    const pairs: [string, string][] = [
      ["Stream Name", safeText(u.name)],
      ["Lag", formatCount(u.lag)],
      ["Last Seen", seen ? `${formatDuration(Math.round(u.active / NS_PER_MS))} ago` : "never"],
    ];
    const external = (u as { external?: { api?: string } }).external;
    if (external?.api) pairs.push(["API Prefix", safeText(external.api)]);
    if (u.error) pairs.push(["Error", safeText(u.error.description)]);
    return ["", color.bold(title), renderRows(pairs)];
  });
}

/** Deleted and lost messages (when any) and the number of subjects, as natscli's State. */
function stateCountRows(s: StreamInfo["state"]): [string, string][] {
  const out: [string, string][] = [];
  if (s.num_deleted) out.push(["Deleted Messages", formatCount(s.num_deleted)]);
  const lost = s.lost?.msgs?.length ?? 0;
  if (lost > 0) out.push(["Lost Messages", `${formatCount(lost)} (${formatBytes(s.lost!.bytes)})`]);
  if (s.num_subjects !== undefined) out.push(["Number of Subjects", formatCount(s.num_subjects)]);
  return out;
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
  return ["", color.bold("Cluster Information:"), renderRows(rows)];
}
