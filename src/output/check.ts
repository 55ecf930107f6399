// Renderings of `consumer check`: a line per metric for people, the result object under
// --json, Nagios plugin output (status line with performance data) and Prometheus text
// exposition (one gauge per metric and the status, labelled by stream and consumer).

import type { ChalkInstance } from "chalk";
import type { CheckResult, CheckStatus, MetricResult } from "../check/consumer-check.js";
import { formatDuration } from "./format.js";
import { safeText } from "./safe-text.js";

export const CHECK_FORMATS = ["human", "json", "nagios", "prometheus"] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

const STATUS_NUMBER: Record<CheckStatus, number> = { ok: 0, warning: 1, critical: 2 };

function valueText(m: MetricResult): string {
  if (m.never) return "never";
  if (m.value === null) return "not reported by this server";
  return m.unit === "s" ? `${formatDuration(m.value * 1000)} ago` : String(m.value);
}

function limitText(m: MetricResult, v: number | undefined): string {
  if (v === undefined) return "-";
  return m.unit === "s" ? formatDuration(v * 1000) : String(v);
}

export function renderCheckHuman(r: CheckResult, color: ChalkInstance): string {
  const paint = (s: CheckStatus) =>
    s === "ok" ? color.green : s === "warning" ? color.yellow : color.red;
  const head = `${paint(r.status)(r.status.toUpperCase())} consumer ${safeText(r.consumer)} of stream ${safeText(r.stream)}`;
  const lines = r.metrics.map((m) => {
    const limits =
      m.warn !== undefined || m.crit !== undefined
        ? `  (warn > ${limitText(m, m.warn)}, crit > ${limitText(m, m.crit)})`
        : "";
    return `  ${paint(m.status)(m.status.padEnd(8))} ${m.name.padEnd(13)} ${valueText(m)}${limits}`;
  });
  return [head, ...lines].join("\n") + "\n";
}

/** "CONSUMER CRITICAL: pending 120 > 100 | pending=120;50;100 …" */
export function renderCheckNagios(r: CheckResult): string {
  const crossed = r.metrics.filter((m) => m.status !== "ok");
  const why =
    crossed.length === 0
      ? `consumer ${r.consumer} of stream ${r.stream}`
      : crossed
          .map(
            (m) =>
              `${m.name} ${valueText(m)} > ${limitText(m, m.status === "critical" ? m.crit : m.warn)}`,
          )
          .join(", ");
  const perf = r.metrics
    .filter((m) => m.value !== null)
    .map((m) => `${m.name}=${m.value}${m.unit === "s" ? "s" : ""};${m.warn ?? ""};${m.crit ?? ""}`)
    .join(" ");
  return `CONSUMER ${r.status.toUpperCase()}: ${safeText(why)} | ${perf}\n`;
}

/** A Prometheus label value: backslash, double quote and newline escaped. */
function label(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function renderCheckPrometheus(r: CheckResult): string {
  const labels = `{stream="${label(r.stream)}",consumer="${label(r.consumer)}"}`;
  const out: string[] = [];
  const gauge = (name: string, help: string, value: number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`);
  };
  for (const m of r.metrics) {
    if (m.value === null && !m.never) continue;
    const suffix = m.unit === "s" ? "_seconds" : "";
    gauge(
      `tweetstream_consumer_${m.name}${suffix}`,
      m.unit === "s"
        ? `seconds since the consumer's ${m.name.replace("_", " ")} (+Inf: never)`
        : `the consumer's ${m.name.replace("_", " ")} count`,
      m.never ? Infinity : m.value!,
    );
  }
  gauge(
    "tweetstream_consumer_check_status",
    "0 ok, 1 warning, 2 critical",
    STATUS_NUMBER[r.status],
  );
  return out.map((l) => l.replace(/ Infinity$/, " +Inf")).join("\n") + "\n";
}
