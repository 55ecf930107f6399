// Human renderings of consumers: the `consumer ls` table and the `consumer info` report,
// with natscli's columns and labels, the table fitted to the terminal (output/table.ts).

import type { ChalkInstance } from "chalk";
import type { ConsumerInfo } from "nats";
import { formatAge, formatCount, formatDuration, formatTime, renderRows } from "./format.js";
import { NS_PER_MS } from "../util/time.js";
import { safeText } from "./safe-text.js";
import { renderClusterInfo } from "./streams.js";
import { listColumns, renderTable } from "./table.js";

/**
 * `last_active` of a sequence info: the server sends an RFC 3339 time (2.10+; absent on
 * older servers and before the first delivery), though nats.js types it as nanoseconds.
 */
export function lastActive(seq: ConsumerInfo["delivered"]): Date | null {
  const ts = seq.last_active as unknown;
  if (typeof ts === "string") return ts.startsWith("0001-01-01") ? null : new Date(ts);
  return typeof ts === "number" && ts > 0 ? new Date(ts / NS_PER_MS) : null;
}

/** consumer ls, fitted to a terminal `width` wide like stream ls (see listColumns). */
const LS_COLUMNS = listColumns(
  { header: "Ack Pending", align: "right" },
  { header: "Unprocessed", align: "right" },
  { header: "Last Delivery", align: "right", dropRank: 3 },
);

export async function renderConsumerTable(
  stream: string,
  consumers: ConsumerInfo[],
  color: ChalkInstance,
  width?: number,
): Promise<string> {
  if (consumers.length === 0) return `No consumers defined on stream ${stream}`;
  const rows = consumers.map((c) => {
    const last = lastActive(c.delivered);
    return [
      safeText(c.name),
      safeText(c.config.description ?? ""),
      formatTime(new Date(c.created)),
      formatCount(c.num_ack_pending),
      formatCount(c.num_pending),
      last ? formatAge(last) : c.delivered.stream_seq > 0 ? "-" : "never",
    ];
  });
  const table = await renderTable(LS_COLUMNS, rows, color, width);
  return `${color.bold(`Consumers of stream ${stream}`)}\n${table}`;
}

/** natscli's rendering: every step, or the first and last five of more than 15. */
function renderBackoff(backoff: number[] | undefined): string | undefined {
  if (!backoff?.length) return undefined;
  const d = (ns: number) => formatDuration(ns / NS_PER_MS);
  if (backoff.length <= 15) return backoff.map(d).join(", ");
  const ends = [...backoff.slice(0, 5).map(d), "…", ...backoff.slice(-5).map(d)];
  return `${ends.join(", ")} (${backoff.length} total)`;
}

function rows(pairs: [string, string | undefined][]): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== "");
  return renderRows(shown.map(([k, v]) => [k, safeText(v)]));
}

function sequences(seq: ConsumerInfo["delivered"]): string {
  const last = lastActive(seq);
  return (
    `consumer sequence ${formatCount(seq.consumer_seq)}, stream sequence ${formatCount(seq.stream_seq)}` +
    (last ? `, ${formatAge(last)} ago` : "")
  );
}

export function renderConsumerInfo(c: ConsumerInfo, color: ChalkInstance): string {
  const cfg = c.config;
  const filters = cfg.filter_subjects?.join(", ") ?? cfg.filter_subject;
  const limit = (n: number | undefined) =>
    n === undefined ? undefined : n < 0 ? "unlimited" : formatCount(n);
  const nsDuration = (ns: number | undefined) =>
    ns === undefined || ns === 0 ? undefined : formatDuration(ns / NS_PER_MS);
  return [
    color.bold(
      `Information for consumer ${c.stream_name} > ${safeText(c.name)} created ${formatTime(new Date(c.created))}`,
    ),
    "",
    color.bold("Configuration:"),
    rows([
      ["Name", c.name],
      ["Durable Name", cfg.durable_name],
      ["Description", cfg.description],
      ["Mode", cfg.deliver_subject ? `push (deliver subject ${cfg.deliver_subject})` : "pull"],
      ["Filter Subject", filters],
      ["Deliver Policy", String(cfg.deliver_policy)],
      ["Ack Policy", String(cfg.ack_policy)],
      ["Ack Wait", nsDuration(cfg.ack_wait)],
      ["Backoff", renderBackoff(cfg.backoff)],
      ["Replay Policy", String(cfg.replay_policy)],
      ["Maximum Deliveries", limit(cfg.max_deliver)],
      ["Max Ack Pending", limit(cfg.max_ack_pending)],
      ["Max Waiting Pulls", cfg.deliver_subject ? undefined : limit(cfg.max_waiting)],
      ["Inactive Threshold", nsDuration(cfg.inactive_threshold)],
    ]),
    "",
    color.bold("State:"),
    rows([
      ["Last Delivered Message", sequences(c.delivered)],
      ["Acknowledgment Floor", sequences(c.ack_floor)],
      ["Outstanding Acks", formatCount(c.num_ack_pending)],
      ["Redelivered Messages", formatCount(c.num_redelivered)],
      ["Unprocessed Messages", formatCount(c.num_pending)],
      ["Waiting Pulls", cfg.deliver_subject ? undefined : formatCount(c.num_waiting)],
      // natscli: whether a push consumer's subscriber is connected (the article's Go one)
      [
        "Active Interest",
        cfg.deliver_subject ? (c.push_bound ? "Active" : "No interest") : undefined,
      ],
    ]),
    ...renderClusterInfo(c.cluster, color),
  ].join("\n");
}
