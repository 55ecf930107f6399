// `consumer check`: a consumer's state measured against thresholds, for monitoring and CI
// gates (after natscli's `server check consumer`). Every threshold is a maximum: the check
// is warning when a value is above its warning threshold, critical when above its critical
// one. Pure: the command fetches the ConsumerInfo, output/check.ts renders the result.

import type { ConsumerInfo } from "nats";
import { lastActive } from "../output/consumers.js";

export type CheckStatus = "ok" | "warning" | "critical";

export const METRICS = [
  { name: "pending", flag: "pending", what: "events not yet delivered", unit: "count" },
  { name: "ack_pending", flag: "ack-pending", what: "delivered, awaiting an ack", unit: "count" },
  { name: "redelivered", flag: "redelivered", what: "events redelivered", unit: "count" },
  { name: "waiting", flag: "waiting", what: "waiting pull requests", unit: "count" },
  { name: "last_delivery", flag: "last-delivery", what: "time since the last delivery", unit: "s" },
  { name: "last_ack", flag: "last-ack", what: "time since the last ack", unit: "s" },
] as const;

export type MetricName = (typeof METRICS)[number]["name"];

export interface Thresholds {
  warn?: number;
  crit?: number;
}

export interface MetricResult {
  name: MetricName;
  /** null: never happened (`never`), or not reported by this server (last_* need 2.10+) */
  value: number | null;
  never?: true;
  unit: "count" | "s";
  warn?: number;
  crit?: number;
  status: CheckStatus;
}

export interface CheckResult {
  status: CheckStatus;
  stream: string;
  consumer: string;
  metrics: MetricResult[];
}

const RANK: Record<CheckStatus, number> = { ok: 0, warning: 1, critical: 2 };

/** Seconds since `seq`'s last activity; Infinity when it never happened; null when unreported. */
function secondsSince(seq: ConsumerInfo["delivered"], now: number): number | null {
  const last = lastActive(seq);
  if (last) return Math.max(0, Math.round((now - last.getTime()) / 100) / 10);
  if (seq.last_active === undefined) return seq.stream_seq === 0 ? Infinity : null;
  return Infinity;
}

export function measure(info: ConsumerInfo, name: MetricName, now: number): number | null {
  switch (name) {
    case "pending":
      return info.num_pending;
    case "ack_pending":
      return info.num_ack_pending;
    case "redelivered":
      return info.num_redelivered;
    case "waiting":
      return info.num_waiting;
    case "last_delivery":
      return secondsSince(info.delivered, now);
    case "last_ack":
      return secondsSince(info.ack_floor, now);
  }
}

export function checkConsumer(
  info: ConsumerInfo,
  thresholds: Partial<Record<MetricName, Thresholds>>,
  now = Date.now(),
): CheckResult {
  const metrics = METRICS.map((m): MetricResult => {
    const t = thresholds[m.name] ?? {};
    const value = measure(info, m.name, now);
    let status: CheckStatus = "ok";
    if (value !== null) {
      if (t.crit !== undefined && value > t.crit) status = "critical";
      else if (t.warn !== undefined && value > t.warn) status = "warning";
    }
    const never = value === Infinity ? { never: true as const } : {};
    return {
      name: m.name,
      value: value === Infinity ? null : value,
      ...never,
      unit: m.unit,
      ...t,
      status,
    };
  });
  const status = metrics.reduce<CheckStatus>(
    (worst, m) => (RANK[m.status] > RANK[worst] ? m.status : worst),
    "ok",
  );
  return { status, stream: info.stream_name, consumer: info.name, metrics };
}
