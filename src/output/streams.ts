// Human renderings of streams: the `stream ls` table (like `nats stream ls`) and the
// `stream info` report. cli-table3 is loaded only when a table is drawn.

import type { ChalkInstance } from "chalk";
import type { ClusterInfo } from "nats";
import type { StreamSummary } from "../nats/streams.js";
import { formatAge, formatBytes, formatCount, formatDuration, formatTime } from "./format.js";
import { safeText } from "./safe-text.js";

export async function renderStreamTable(
  streams: StreamSummary[],
  color: ChalkInstance,
): Promise<string> {
  if (streams.length === 0) return "No streams defined";
  const { default: Table } = await import("cli-table3");
  const table = new Table({
    head: ["Name", "Description", "Created", "Messages", "Size", "Last Message"].map((h) =>
      color.bold(h),
    ),
    style: { head: [], border: [] },
    colAligns: ["left", "left", "left", "right", "right", "right"],
  });
  const degraded: string[] = [];
  for (const s of streams) {
    const problem = clusterProblem(s.cluster);
    if (problem) degraded.push(`${s.name}: ${problem}`);
    table.push([
      problem ? `${s.name} ${color.yellow("!")}` : s.name,
      safeText(s.description),
      formatTime(new Date(s.created)),
      formatCount(s.messages),
      formatBytes(s.bytes),
      formatAge(s.last_ts ? new Date(s.last_ts) : null),
    ]);
  }
  const notes = degraded.map((d) => `\n${color.yellow("!")} replicas not all current: ${d}`);
  return `${color.bold("Streams")}\n${table.toString()}${notes.join("")}`;
}

function limit(n: number, fmt: (n: number) => string = formatCount): string {
  return n < 0 ? "unlimited" : fmt(n);
}

export function renderStreamInfo(s: StreamSummary, color: ChalkInstance): string {
  const rows = (pairs: [string, string][]) => {
    const width = Math.max(...pairs.map(([k]) => k.length));
    return pairs.map(([k, v]) => `  ${k.padStart(width)}: ${v}`).join("\n");
  };
  const seqTime = (seq: number, ts: string | null) =>
    ts ? `${formatCount(seq)} @ ${formatTime(new Date(ts))}` : formatCount(seq);
  return [
    color.bold(`Information for stream ${s.name} created ${formatTime(new Date(s.created))}`),
    "",
    color.bold("Configuration:"),
    rows([
      ["Subjects", safeText(s.subjects.join(", "))],
      ["Description", safeText(s.description) || "-"],
      ["Storage", s.storage],
      ["Replicas", String(s.replicas)],
      ["Retention", s.retention],
      ["Maximum Age", s.max_age_ms === 0 ? "unlimited" : formatDuration(s.max_age_ms)],
      ["Maximum Messages", limit(s.max_msgs)],
      ["Maximum Bytes", limit(s.max_bytes, formatBytes)],
      ["Duplicate Window", formatDuration(s.duplicate_window_ms)],
    ]),
    "",
    color.bold("State:"),
    rows([
      ["Messages", formatCount(s.messages)],
      ["Bytes", formatBytes(s.bytes)],
      ["First Sequence", seqTime(s.first_seq, s.first_ts)],
      ["Last Sequence", seqTime(s.last_seq, s.last_ts)],
      [
        "Last Message",
        formatAge(s.last_ts ? new Date(s.last_ts) : null) + (s.last_ts ? " ago" : ""),
      ],
      ["Active Consumers", formatCount(s.consumers)],
    ]),
    ...renderClusterInfo(s.cluster, color),
  ].join("\n");
}

// ---- cluster (replicated streams) ----

const NS_PER_MS = 1_000_000;

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
