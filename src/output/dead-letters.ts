// Renderings of dead letters (nats/dead-letters.ts): the `consumer dead-letters` lines and
// the block `consumer info` adds to its report.

import type { DeadLetter, DeadLetterReport } from "../nats/dead-letters.js";
import { safeText } from "./safe-text.js";

export function renderDeadLetterLine(d: DeadLetter): string {
  const why = d.kind === "terminated" ? "terminated by a client" : "max deliveries reached";
  return `seq ${d.stream_seq}  ${safeText(d.consumer)}  ${why}  after ${d.deliveries} deliveries  ${safeText(d.time)}`;
}

/** consumer info's "Dead Letters" line; in JSON, the `dead_letters` field. */
export function deadLetterSummary(r: DeadLetterReport): string {
  // aligned with the State rows of renderConsumerInfo (its longest label is 22 wide)
  const label = `  ${"Dead Letters".padStart(22)}: `;
  if (!r.captured) return `${label}not captured (see consumer dead-letters --capture)`;
  if (r.count === 0) return `${label}0`;
  return `${label}${r.count} (latest sequences ${r.latest.map((d) => d.stream_seq).join(", ")})`;
}

export function deadLetterField(
  r: DeadLetterReport,
): { count: number; latest: number[] } | undefined {
  return r.captured ? { count: r.count, latest: r.latest.map((d) => d.stream_seq) } : undefined;
}
