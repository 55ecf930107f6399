// The records of serve's materialized view and how an event changes them. One record per
// tweet id (its tweet, its exact like count, its newest likes, and `last_seq`: the
// highest stream sequence applied to it). Applying is idempotent by stream sequence: an
// event at or below `last_seq` is already in the record and changes nothing, so a
// writer that restarts, or a second writer racing the first, never counts a like twice.
// Also the in-memory window of recent tweets every serve instance keeps. Pure: no I/O.

import { createHash } from "node:crypto";
import { timelineEvent, type TweetEvent } from "../../events.js";
import type { StoredMessage } from "../../output/events.js";

/** How many of a tweet's likes a record lists (`liked_by`); `likes` is the exact count. */
export const LIKED_BY_KEPT = 20;
/** How many of the newest tweets each instance keeps in memory. */
export const WINDOW_TWEETS = 1000;

export interface LikeEntry {
  author: string;
  date: string;
  seq: number;
}

export interface StoredTweet {
  message: string;
  author: string;
  date: string;
  seq: number;
}

/** A tweet id's record, as stored (JSON) in the view's bucket. */
export interface TweetRecord {
  id: string;
  /** null while only likes of this id were stored (a like before its tweet) */
  tweet: StoredTweet | null;
  likes: number;
  /** the newest likes, oldest first, at most LIKED_BY_KEPT */
  liked_by: LikeEntry[];
  last_seq: number;
}

export interface TweetSummary {
  id: string;
  message: string;
  author: string;
  date: string;
  seq: number;
  likes: number;
}

export interface TweetDetail extends TweetSummary {
  liked_by: LikeEntry[];
}

/** A stored event with its sequence, as SSE sends it. */
export interface SequencedEvent extends TweetEvent {
  seq: number;
}

/** The stored message as an event (the shared parser, typed from the subject), or null. */
export function eventOf(m: StoredMessage): TweetEvent | null {
  return timelineEvent(m.subject, m.data);
}

export function emptyRecord(id: string): TweetRecord {
  return { id, tweet: null, likes: 0, liked_by: [], last_seq: 0 };
}

/**
 * The record with `event` (stored at `seq`) applied, or null when it is already in it. A
 * tweet's creation is in a record that holds a tweet; one of likes only (a fresh build,
 * ./fresh-build.ts, stores no record at a tweet's creation) takes it whatever its `last_seq`.
 */
export function applyEvent(
  record: TweetRecord | null,
  seq: number,
  event: TweetEvent,
): TweetRecord | null {
  const rec = record ?? emptyRecord(event.id);
  if (event.messageType === "tweet_created" && !rec.tweet && seq <= rec.last_seq) {
    return {
      ...rec,
      tweet: { message: event.message, author: event.author, date: event.date, seq },
    };
  }
  if (seq <= rec.last_seq) return null;
  if (event.messageType === "tweet_created") {
    // a tweet id stored a second time (beyond the duplicate window) keeps its first event
    const tweet = rec.tweet ?? {
      message: event.message,
      author: event.author,
      date: event.date,
      seq,
    };
    return { ...rec, tweet, last_seq: seq };
  }
  const liked_by = [...rec.liked_by, { author: event.author, date: event.date, seq }];
  if (liked_by.length > LIKED_BY_KEPT) liked_by.splice(0, liked_by.length - LIKED_BY_KEPT);
  return { ...rec, likes: rec.likes + 1, liked_by, last_seq: seq };
}

/** What `event` at `seq` adds to the view's totals, given the record once it is applied. */
export function totalsDelta(
  applied: TweetRecord,
  seq: number,
  event: TweetEvent,
): { tweets: number; likes: number } {
  if (event.messageType === "tweet_liked") return { tweets: 0, likes: 1 };
  return { tweets: applied.tweet?.seq === seq ? 1 : 0, likes: 0 };
}

export function tweetSummary(rec: TweetRecord): TweetSummary | undefined {
  if (!rec.tweet) return undefined;
  const { message, author, date, seq } = rec.tweet;
  return { id: rec.id, message, author, date, seq, likes: rec.likes };
}

export function tweetDetail(rec: TweetRecord): TweetDetail | undefined {
  const summary = tweetSummary(rec);
  return summary && { ...summary, liked_by: [...rec.liked_by] };
}

/**
 * A key of the view's bucket for a tweet id. Ids that are valid key tokens (UUIDs, the
 * usual case) are kept readable; others become `=` and a hash (the record holds the id).
 */
export function tweetKey(id: string): string {
  if (/^[A-Za-z0-9_-]{1,200}$/.test(id)) return id;
  return "=" + createHash("sha256").update(id).digest("base64url");
}

/**
 * The newest tweets, in memory, in stream order, with their records kept current by the
 * follower. It holds every tweet stored at or after `coversFrom` (older ones are read
 * from the bucket and the stream).
 */
export class RecentWindow {
  private readonly order: TweetRecord[] = [];
  private readonly byId = new Map<string, TweetRecord>();
  /** every tweet with a sequence ≥ this is in the window */
  coversFrom: number;

  constructor(
    records: TweetRecord[],
    coversFrom: number,
    private readonly capacity = WINDOW_TWEETS,
  ) {
    this.coversFrom = coversFrom;
    const sorted = records
      .filter((r) => r.tweet)
      .sort((a, b) => a.tweet!.seq - b.tweet!.seq)
      .slice(-capacity);
    for (const r of sorted) {
      this.order.push(r);
      this.byId.set(r.id, r);
    }
    if (records.length > sorted.length && sorted[0]) this.coversFrom = sorted[0].tweet!.seq;
  }

  get size(): number {
    return this.order.length;
  }

  get(id: string): TweetRecord | undefined {
    return this.byId.get(id);
  }

  /** Every record, oldest first (what is persisted as the recent list). */
  records(): TweetRecord[] {
    return [...this.order];
  }

  /**
   * Applies a followed event; returns 1 when it was a tweet new to the window (so, as the
   * follower reads in order, new to the view unless its id is older than the window).
   */
  apply(seq: number, event: TweetEvent): number {
    const known = this.byId.get(event.id);
    if (known) {
      const next = applyEvent(known, seq, event);
      if (next) this.replace(known, next);
      return 0;
    }
    if (event.messageType !== "tweet_created") return 0;
    const rec = applyEvent(null, seq, event)!;
    this.order.push(rec);
    this.byId.set(rec.id, rec);
    this.evict();
    return 1;
  }

  private evict(): void {
    while (this.order.length > this.capacity) {
      const old = this.order.shift()!;
      this.byId.delete(old.id);
      this.coversFrom = old.tweet!.seq + 1;
    }
  }

  /**
   * Puts a record as the view's writer stored it (any order): replaces the one with its id,
   * or inserts it by sequence unless it is older than the window.
   */
  upsert(rec: TweetRecord): void {
    if (!rec.tweet) return;
    const known = this.byId.get(rec.id);
    if (known) return this.replace(known, rec);
    if (rec.tweet.seq < this.coversFrom) return;
    let i = this.order.length;
    while (i > 0 && this.order[i - 1]!.tweet!.seq > rec.tweet.seq) i--;
    this.order.splice(i, 0, rec);
    this.byId.set(rec.id, rec);
    this.evict();
  }

  /** Newest first, tweets stored before `beforeSeq`, at most `limit`. */
  timeline(limit: number, beforeSeq = Infinity): TweetSummary[] {
    const out: TweetSummary[] = [];
    for (let i = this.order.length - 1; i >= 0 && out.length < limit; i--) {
      const rec = this.order[i]!;
      if (rec.tweet!.seq < beforeSeq) out.push(tweetSummary(rec)!);
    }
    return out;
  }

  private replace(old: TweetRecord, next: TweetRecord): void {
    this.byId.set(next.id, next);
    // a record changes far more often near the end (new tweets get the likes)
    for (let i = this.order.length - 1; i >= 0; i--) {
      if (this.order[i] === old) {
        this.order[i] = next;
        return;
      }
    }
  }
}
