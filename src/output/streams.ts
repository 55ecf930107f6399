// Human renderings of streams: the `stream ls` table (like `nats stream ls`) and the
// `stream info` report. cli-table3 is loaded only when a table is drawn.

import type { ChalkInstance } from "chalk";
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
  for (const s of streams) {
    table.push([
      s.name,
      safeText(s.description),
      formatTime(new Date(s.created)),
      formatCount(s.messages),
      formatBytes(s.bytes),
      formatAge(s.last_ts ? new Date(s.last_ts) : null),
    ]);
  }
  return `${color.bold("Streams")}\n${table.toString()}`;
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
  ].join("\n");
}
