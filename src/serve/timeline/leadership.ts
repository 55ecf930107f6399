// Who writes the view, as one value: an instance is a reader (another instance holds the
// lease, or nobody has taken it yet), or it writes. A writer first catches up reading the
// stream on its own (a first build: "seq N of M"); at the stream's end it waits for the
// next message memory applies right after what it queued, then stops its own reading and
// is fed by memory (one reading and decoding of each event instead of two). Rebuilding is
// a writer of the next generation catching up while every instance still reads the one in
// use. Each transition is one function; the decisions that read the stream's state are
// pure (unit-tested in test/unit/timeline-leadership.test.ts).

/** The writer and its own reading of the stream (generic: the tests use fakes). */
export type Leadership<Run> =
  | { kind: "reader" }
  | { kind: "catching-up"; run: Run; seq: number; of: number }
  | { kind: "caught-up"; run: Run }
  | { kind: "fed"; run: Run }
  | { kind: "rebuilding"; run: Run; gen: number; seq: number; of: number };

export const reader = { kind: "reader" } as const;

/** The writer a state holds, if any. */
export function runOf<Run>(s: Leadership<Run>): Run | undefined {
  return s.kind === "reader" ? undefined : s.run;
}

/** A writer starts reading from where its generation stands (`of`: the stream's end then). */
export function startWriting<Run>(run: Run, at: number, of: number): Leadership<Run> {
  return at >= of ? { kind: "caught-up", run } : { kind: "catching-up", run, seq: at, of };
}

/** A writer of generation `gen` starts building it from the stream's first message. */
export function startRebuild<Run>(run: Run, gen: number, at: number, of: number): Leadership<Run> {
  return { kind: "rebuilding", run, gen, seq: at, of };
}

/** The writer's own reading reached `seq`. */
export function progressed<Run>(s: Leadership<Run>, seq: number): Leadership<Run> {
  if (s.kind === "catching-up" || s.kind === "rebuilding") return { ...s, seq };
  return s;
}

/** The writer's own reading reached the stream's end (a rebuild still has to switch). */
export function reachedEnd<Run>(s: Leadership<Run>): Leadership<Run> {
  if (s.kind === "catching-up") return { kind: "caught-up", run: s.run };
  if (s.kind === "rebuilding") return { ...s, seq: Math.max(s.seq, s.of) };
  return s;
}

/** The rebuilt generation is the one in use now: its writer goes on as any writer. */
export function rebuilt<Run>(s: Leadership<Run>): Leadership<Run> {
  return s.kind === "rebuilding" ? { kind: "caught-up", run: s.run } : s;
}

/** What to do with a message memory applied, for the writer. */
export type FeedStep =
  /** nothing: the writer reads on its own */
  | "skip"
  /** the writer has everything before it: stop its own reading, feed it from now on */
  | "take-over"
  /** hand it to the writer */
  | "add"
  /** memory is ahead of the writer (it restarted from a list another writer wrote): start over */
  | "restart";

/**
 * `queuedTo`: the last sequence the writer has; `before`: the last sequence memory applied
 * before this message (the message is contiguous with the writer when queuedTo ≥ before).
 */
export function feedStep<Run>(s: Leadership<Run>, queuedTo: number, before: number): FeedStep {
  const contiguous = queuedTo >= before;
  if (s.kind === "caught-up") return contiguous ? "take-over" : "skip";
  if (s.kind === "fed") return contiguous ? "add" : "restart";
  return "skip";
}

export function fed<Run>(s: Leadership<Run>): Leadership<Run> {
  return s.kind === "caught-up" ? { kind: "fed", run: s.run } : s;
}

/** Where the stream stands against a generation's head (the view's own figures). */
export interface StreamFit {
  created: string;
  first_seq: number;
  last_seq: number;
}

export interface HeadFit {
  stream_created: string;
  first_seq: number;
  cursor: number;
}

/**
 * Why the generation in use must be built again, or undefined: the stream was recreated
 * (or went back), emptied (nothing stored at the previous tick is left: a purge), or its
 * limits trimmed the oldest messages (rebuilt at most every `trimEveryMs`, not on every event).
 */
export function rebuildReason(
  head: HeadFit,
  stream: StreamFit,
  seenLastSeq: number,
  sinceRebuildMs: number,
  trimEveryMs: number,
): "recreated" | "emptied" | "trimmed" | undefined {
  const first = Math.max(1, stream.first_seq);
  if (head.stream_created !== stream.created || stream.last_seq < head.cursor) return "recreated";
  const removed = first > head.first_seq;
  if (!removed) return undefined;
  if (first > seenLastSeq) return "emptied";
  return sinceRebuildMs > trimEveryMs ? "trimmed" : undefined;
}

/** Readiness as /readyz and the metrics see it: the build's progress while catching up. */
export function buildProgress<Run>(s: Leadership<Run>): { seq: number; of: number } | undefined {
  return s.kind === "catching-up" || s.kind === "rebuilding" ? { seq: s.seq, of: s.of } : undefined;
}
