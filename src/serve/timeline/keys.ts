// Every key of serve's view bucket (the generation prefix included) and the shape each value must have. The bucket is
// shared with everyone who has JetStream rights in the account, so a value read from it
// is untrusted input: each read names the check its value must pass (src/nats/timeline-bucket.ts
// throws TimelineDamage otherwise), and a generation number only becomes part of a key name
// once it passed `isCurrent`. Pure: no I/O.

import type { ValueCheck } from "../../nats/timeline-bucket.js";
import { LIKED_BY_KEPT, tweetKey, type TweetRecord } from "./model.js";

/** The generation in use (`{"gen":N}`). */
export const CURRENT_KEY = "_current";
/** Damage an instance that does not write found, for the writer to repair (`{"gen","reason"}`). */
export const REPAIR_KEY = "_repair";
/** The writer's lease (src/nats/timeline-bucket.ts `timelineLease`). */
export const LEASE_KEY = "_writer";

/** Where a generation of the view stands: written after every batch. */
export interface TimelineHead {
  /** the stream's creation time: another stream with the same name is another view */
  stream_created: string;
  /** the stream's first sequence when this generation was built */
  first_seq: number;
  /** every event up to this stream sequence is applied */
  cursor: number;
  tweets: number;
  likes: number;
  /**
   * a fresh build in progress (./fresh-build.ts): how far its reading got. `cursor` stays
   * where the build began until its id index is written; a writer that finds this starts over.
   */
  building?: number;
  /** the generation's id index (./id-index.ts): how many shards it has */
  index?: { shards: number };
}

/** The newest tweets as of `cursor`, for an instance to start from without reading the bucket. */
export interface RecentList {
  cursor: number;
  covers_from: number;
  tweets: TweetRecord[];
}

export interface CurrentGen {
  gen: number;
}

export interface RepairRequest {
  gen: number;
  reason: string;
}

/** The prefix of every key of generation `gen` (what `purgePrefix` removes when it is replaced). */
export const generationPrefix = (gen: number): string => `g${gen}`;

/** A generation's keys (`gen` must have passed `isCurrent`, or be one this instance made). */
export const timelineKeys = (gen: number) => {
  const prefix = generationPrefix(gen);
  return {
    head: `${prefix}.head`,
    recent: `${prefix}.recent`,
    record: (id: string) => `${prefix}.t.${tweetKey(id)}`,
    /** shard `n` of the id index, and the prefix of them all */
    indexShard: (n: number) => `${prefix}.i.${n}`,
    index: `${prefix}.i`,
  };
};

type Check<T> = ValueCheck<T>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const text = (v: unknown, max = 1 << 20): boolean => typeof v === "string" && v.length <= max;

function firstFailing(checks: Array<[boolean, string]>): string | undefined {
  for (const [ok, why] of checks) if (!ok) return why;
  return undefined;
}

export const isCurrent: Check<CurrentGen> = (v) =>
  isObj(v) && Number.isSafeInteger(v.gen) && (v.gen as number) >= 1 && (v.gen as number) < 2 ** 31
    ? undefined
    : "not {gen: a generation number}";

export const isRepair: Check<RepairRequest> = (v) =>
  isObj(v) && isCurrent(v) === undefined && text(v.reason, 1000) ? undefined : "not {gen, reason}";

export const isHead: Check<TimelineHead> = (v) =>
  !isObj(v)
    ? "not an object"
    : firstFailing([
        [text(v.stream_created, 64), "stream_created is not a time"],
        [count(v.first_seq) && (v.first_seq as number) >= 1, "first_seq is not a sequence"],
        [count(v.cursor), "cursor is not a sequence"],
        [count(v.tweets) && count(v.likes), "tweets or likes is not a count"],
        [v.building === undefined || count(v.building), "building is not a sequence"],
        [v.index === undefined || isIndexInfo(v.index), "index is not {shards: a power of two}"],
      ]);

const isIndexInfo = (v: unknown): boolean =>
  isObj(v) &&
  count(v.shards) &&
  (v.shards as number) >= 1 &&
  (v.shards as number) <= 2 ** 24 &&
  ((v.shards as number) & ((v.shards as number) - 1)) === 0;

function recordProblem(v: unknown): string | undefined {
  if (!isObj(v)) return "not an object";
  const t = v.tweet;
  const tweetOk =
    t === null ||
    (isObj(t) &&
      text(t.message) &&
      text(t.author) &&
      text(t.date, 64) &&
      count(t.seq) &&
      (t.seq as number) >= 1);
  const likes = v.liked_by;
  const likesOk =
    Array.isArray(likes) &&
    likes.length <= LIKED_BY_KEPT &&
    likes.every((l) => isObj(l) && text(l.author) && text(l.date, 64) && count(l.seq));
  return firstFailing([
    [text(v.id, 4096) && (v.id as string).length > 0, "id is not a tweet id"],
    [tweetOk, "tweet is not a stored tweet"],
    [count(v.likes), "likes is not a count"],
    [likesOk, "liked_by is not a list of likes"],
    [count(v.last_seq), "last_seq is not a sequence"],
  ]);
}

/** A tweet record, stored under the key of its own id. */
export function isRecordOf(id: string): Check<TweetRecord> {
  const key = tweetKey(id);
  return (v) =>
    recordProblem(v) ??
    (tweetKey((v as Obj).id as string) === key ? undefined : "another tweet's record");
}

export const isRecentList: Check<RecentList> = (v) => {
  if (!isObj(v)) return "not an object";
  const problem = firstFailing([
    [count(v.cursor) && count(v.covers_from), "cursor or covers_from is not a sequence"],
    [Array.isArray(v.tweets), "tweets is not a list"],
  ]);
  if (problem) return problem;
  for (const r of v.tweets as unknown[]) {
    const why =
      recordProblem(r) ?? (isObj(r) && r.tweet === null ? "a like without its tweet" : undefined);
    if (why) return `a tweet in it: ${why}`;
  }
  return undefined;
};
