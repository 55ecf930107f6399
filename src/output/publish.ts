// Renderings of publish results: one event (tweet, like) and the summary of a bulk run
// (publish --file, tweet --count), for people and as JSON.

import type { ChalkInstance } from "chalk";
import type { TweetEvent } from "../events.js";
import type { BulkSummary } from "../nats/bulk-publish.js";
import type { PublishOutcome } from "../nats/publish.js";
import { fitting, formatCount, formatDuration, plural, wrapParts } from "./format.js";
import { safeText } from "./safe-text.js";

/** `--json` of tweet and like. */
export function publishedJson(outcome: PublishOutcome, event: TweetEvent) {
  return {
    stream: outcome.stream,
    seq: outcome.seq,
    duplicate: outcome.duplicate,
    subject: outcome.subject,
    event,
  };
}

/**
 * "Published tweet <id> (stream S, seq 5)" / "Published like of tweet <id> by A (…)", or
 * "Already stored: …" for a duplicate; on a terminal `width` wide, the most detailed form
 * that fits (the id is never cut: it is what the next command needs).
 */
export function renderPublished(
  outcome: PublishOutcome,
  event: TweetEvent,
  color: ChalkInstance,
  width?: number,
): string {
  const id = color.bold(safeText(event.id));
  const author = safeText(event.author);
  const like = event.messageType === "tweet_liked";
  const what = like ? `like of tweet ${id} by ${author}` : `tweet ${id}`;
  const short = like ? `like of ${id} by ${author}` : `tweet ${id}`;
  const bare = like ? `like of ${id}` : `tweet ${id}`;
  const where = `stream ${outcome.stream}, seq ${outcome.seq}`;
  const seq = `seq ${outcome.seq}`;
  if (outcome.duplicate) {
    const head = color.yellow("Already stored:");
    return fitting(
      width,
      `${head} ${what} (${where}; duplicate, not stored again)`,
      `${head} ${short} (${seq}; duplicate)`,
      `${head} ${bare} (${seq})`,
    );
  }
  const head = color.green("Published");
  return fitting(
    width,
    `${head} ${what} (${where})`,
    `${head} ${what} (${seq})`,
    `${head} ${short} (${seq})`,
    `${head} ${bare} (${seq})`,
  );
}

export interface BulkFacts {
  stream: string;
  elapsedMs: number;
  /**
   * publish --file: the input's lines holding an event (every one of them is published, a
   * duplicate, failed, not sent or not read), and its blank lines (skipped)
   */
  lines?: number;
  blankLines?: number;
  /** the first failures, for --json (at most a few thousand are kept) */
  failures: Array<Record<string, string | number>>;
  failuresOmitted: number;
}

function rate(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}

/** `--json` of publish --file and tweet --count. */
export function bulkSummaryJson(s: BulkSummary, facts: BulkFacts) {
  const acked = s.published + s.duplicates;
  return {
    stream: facts.stream,
    published: s.published,
    duplicates: s.duplicates,
    failed: s.failed,
    not_sent: s.notSent,
    ...(facts.lines !== undefined
      ? { not_read: s.notRead, lines: facts.lines, blank_lines: facts.blankLines ?? 0 }
      : {}),
    first_seq: s.firstSeq,
    last_seq: s.lastSeq,
    aborted: s.aborted,
    interrupted: s.interrupted,
    elapsed_ms: Math.round(facts.elapsedMs),
    events_per_second: rate(acked, facts.elapsedMs),
    failures: facts.failures,
    failures_omitted: facts.failuresOmitted,
  };
}

/**
 * The spinner's line while a bulk run goes on: "Publishing to S: 28,160 of 200,000
 * published, 0 duplicates, 0 failed" (`expected`: tweet --count's N; publish --file does
 * not know its total). On a terminal `width` wide, the most detailed form that fits
 * beside the spinner's two columns.
 */
export function renderBulkProgress(
  s: Pick<BulkSummary, "published" | "duplicates" | "failed">,
  stream: string,
  expected: number | undefined,
  width?: number,
): string {
  const of = expected === undefined ? "" : ` of ${formatCount(expected)}`;
  const published = `${formatCount(s.published)}${of} published`;
  const counts = `${formatCount(s.duplicates)} duplicates, ${formatCount(s.failed)} failed`;
  return fitting(
    width === undefined ? undefined : width - 2,
    `Publishing to ${stream}: ${published}, ${counts}`,
    `${stream}: ${published}, ${counts}`,
    `${published}, ${formatCount(s.failed)} failed`,
    published,
  );
}

/** The summary line; on a terminal `width` wide, wrapped at its commas to fit. */
export function renderBulkSummary(
  s: BulkSummary,
  facts: BulkFacts,
  color: ChalkInstance,
  width?: number,
): string {
  const acked = s.published + s.duplicates;
  const seqs =
    s.firstSeq === null
      ? ""
      : s.firstSeq === s.lastSeq
        ? ` (seq ${s.firstSeq})`
        : ` (seq ${s.firstSeq}-${s.lastSeq})`;
  const failed = s.failed > 0 ? color.red(`${formatCount(s.failed)} failed`) : "0 failed";
  const notSent = s.notSent > 0 ? [`${formatCount(s.notSent)} not sent`] : [];
  const notRead = s.notRead > 0 ? [`${formatCount(s.notRead)} not read`] : [];
  const speed = `in ${formatDuration(facts.elapsedMs)} (${formatCount(rate(acked, facts.elapsedMs))} events/s)`;
  const stop = s.interrupted
    ? "interrupted before the end of the input"
    : s.aborted
      ? "stopped early"
      : "";
  return wrapParts(
    [
      `Published ${plural(s.published, "event")} to stream ${facts.stream}${seqs}`,
      plural(s.duplicates, "duplicate"),
      failed,
      ...notSent,
      ...notRead,
    ].map((part, i, all) =>
      // the speed (and why it stopped) ends the last part
      i < all.length - 1 ? part : `${part} ${speed}` + (stop ? color.red(`; ${stop}`) : ""),
    ),
    width,
  );
}
