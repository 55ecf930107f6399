// The records `listen --exec` reports: one per handler run (its outcome) and the summary
// at the end. The same objects are the NDJSON lines of --json (docs/schemas/) and the
// lines of --dead-letter.

export type OutcomeKind = "handled" | "retry" | "given_up" | "handed_back";

export interface Outcome {
  outcome: OutcomeKind;
  stream: string;
  consumer: string;
  seq: number;
  subject: string;
  /** the event's id, when the payload is an event */
  id?: string;
  /** this delivery's number (1 the first time) */
  delivered: number;
  /** the handler's exit status; null when it was ended by a signal or not run */
  exit: number | null;
  signal: string | null;
  /** how long the handler ran */
  ms: number;
  /** retry: when the event comes back */
  retry_in_ms?: number;
  /** given_up: why, in words */
  reason?: string;
  /** when tweetstream decided (ISO 8601) */
  time: string;
}

export interface DeadLetterCount {
  /** advisories captured for this consumer since the run started (any client) */
  count: number;
  /** the latest stream sequences among them, newest last */
  latest: number[];
}

export interface WorkerSummary {
  handled: number;
  retried: number;
  given_up: number;
  handed_back: number;
  /** stream sequences this run gave up on, newest last (at most 20) */
  given_up_seqs: number[];
  /** from the captured advisories (see docs/workers.md); absent when none are captured */
  dead_letters?: DeadLetterCount;
}
