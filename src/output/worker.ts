// Rendering of `listen --exec`: a line per handler outcome (stdout), the given-up warning,
// the summary (stderr for people; the last NDJSON record under --json).

import type { ChalkInstance } from "chalk";
import type { Outcome, WorkerSummary } from "../worker/records.js";
import { formatDuration } from "./format.js";
import { safeText } from "./safe-text.js";

const LABEL: Record<Outcome["outcome"], string> = {
  handled: "handled",
  retry: "retry",
  given_up: "gave up",
  handed_back: "handed back",
};

function exitText(o: Outcome): string {
  if (o.signal) return `ended by ${o.signal}`;
  if (o.exit === null) return "not run";
  return `exit ${o.exit}`;
}

/** "handled  seq 12  TWITTERCLONE.tweet_created  attempt 1  35ms" */
export function renderOutcomeLine(o: Outcome, color: ChalkInstance): string {
  const paint =
    o.outcome === "handled" ? color.green : o.outcome === "given_up" ? color.red : color.yellow;
  const parts = [
    paint(LABEL[o.outcome].padEnd(11)),
    `seq ${o.seq}`,
    safeText(o.subject),
    `attempt ${o.delivered}`,
    o.outcome === "handled" ? formatDuration(o.ms) : exitText(o),
  ];
  if (o.retry_in_ms !== undefined) parts.push(`again in ${formatDuration(o.retry_in_ms)}`);
  return parts.join("  ") + "\n";
}

/** The stderr line of an event given up: its sequence and id. */
export function givenUpText(o: Outcome): string {
  return (
    `gave up on sequence ${o.seq}${o.id !== undefined ? ` (id ${o.id})` : ""} on ${o.subject}: ` +
    `${o.reason ?? "its handler failed"}; terminated, it will not be delivered again`
  );
}

/** "Handled 10, retried 3, gave up on 1 (sequence 17)" and the dead letters seen. */
export function summaryText(s: WorkerSummary, consumer: string): string {
  const parts = [`Handled ${s.handled}`, `retried ${s.retried}`];
  parts.push(
    s.given_up === 0
      ? "gave up on none"
      : `gave up on ${s.given_up} (${s.given_up === 1 ? "sequence" : "sequences"} ${s.given_up_seqs.join(", ")})`,
  );
  if (s.handed_back > 0) parts.push(`handed back ${s.handed_back} (killed at the stop)`);
  let text = parts.join(", ");
  if (s.dead_letters) {
    const d = s.dead_letters;
    text +=
      `; dead letters of ${consumer} since the start, from any client: ${d.count}` +
      (d.latest.length > 0 ? ` (latest ${d.latest.join(", ")})` : "");
  }
  return text;
}
