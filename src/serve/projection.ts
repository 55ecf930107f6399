// The timeline as `serve` answers it: a projection of the stream's events, built by
// applying each stored event once, in any order, keyed by stream sequence (the
// follower applies everything in order; a POST applies its own event as soon as
// JetStream acked it, so a client reads its write at once). Pure: no I/O.

import type { TweetEvent } from "../events.js";

export interface LikeView {
  author: string;
  date: string;
  seq: number;
}

export interface TweetView {
  id: string;
  message: string;
  author: string;
  date: string;
  seq: number;
  likes: number;
}

export interface TweetDetail extends TweetView {
  liked_by: LikeView[];
}

/** A stored event with its sequence, as SSE sends it. */
export interface SequencedEvent extends TweetEvent {
  seq: number;
}

interface TweetRecord {
  event: TweetEvent;
  seq: number;
}

export class Projection {
  /** tweet id → the first tweet_created stored with it */
  private readonly tweets = new Map<string, TweetRecord>();
  /** tweets by ascending sequence */
  private readonly order: TweetRecord[] = [];
  /** tweet id → its likes by sequence (kept for ids not seen yet, too) */
  private readonly likes = new Map<string, Map<number, LikeView>>();
  private likeCount = 0;
  /** highest sequence applied */
  lastSeq = 0;
  /** stored messages that are not tweet events (shown nowhere, counted) */
  skipped = 0;
  /** tweet_created events whose id was already taken (stored outside the duplicate window) */
  duplicates = 0;

  /** Applies a stored event; false when it was already applied (or is a repeated id). */
  apply(seq: number, event: TweetEvent): boolean {
    if (seq > this.lastSeq) this.lastSeq = seq;
    if (event.messageType === "tweet_created") {
      const known = this.tweets.get(event.id);
      if (known) {
        if (known.seq !== seq) this.duplicates++;
        return false;
      }
      const record = { event, seq };
      this.tweets.set(event.id, record);
      insertBySeq(this.order, record);
      return true;
    }
    let likes = this.likes.get(event.id);
    if (!likes) this.likes.set(event.id, (likes = new Map()));
    if (likes.has(seq)) return false;
    likes.set(seq, { author: event.author, date: event.date, seq });
    this.likeCount++;
    return true;
  }

  /** Records a stored message that is not a tweet event. */
  skip(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
    this.skipped++;
  }

  has(id: string): boolean {
    return this.tweets.has(id);
  }

  get tweetCount(): number {
    return this.order.length;
  }

  get totalLikes(): number {
    return this.likeCount;
  }

  /** Newest first (by stream sequence), at most `limit`, only tweets stored before `beforeSeq`. */
  timeline(limit: number, beforeSeq = Infinity): TweetView[] {
    const out: TweetView[] = [];
    let i = upperIndex(this.order, beforeSeq) - 1;
    for (; i >= 0 && out.length < limit; i--) out.push(this.view(this.order[i]!));
    return out;
  }

  tweet(id: string): TweetDetail | undefined {
    const record = this.tweets.get(id);
    if (!record) return undefined;
    const likedBy = [...(this.likes.get(id)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    return { ...this.view(record), liked_by: likedBy };
  }

  /** Every applied event stored after `seq`, in stream order (an SSE client resuming). */
  eventsAfter(seq: number, max = 10_000): SequencedEvent[] {
    const out: SequencedEvent[] = [];
    for (let i = upperIndex(this.order, seq + 1); i < this.order.length; i++) {
      const r = this.order[i]!;
      out.push({ ...r.event, seq: r.seq });
    }
    for (const [id, likes] of this.likes) {
      for (const like of likes.values()) {
        if (like.seq > seq) {
          out.push({
            messageType: "tweet_liked",
            id,
            message: "",
            date: like.date,
            author: like.author,
            seq: like.seq,
          });
        }
      }
    }
    out.sort((a, b) => a.seq - b.seq);
    return out.length > max ? out.slice(out.length - max) : out;
  }

  private view(record: TweetRecord): TweetView {
    const { id, message, author, date } = record.event;
    return { id, message, author, date, seq: record.seq, likes: this.likes.get(id)?.size ?? 0 };
  }
}

/** Index of the first record with seq ≥ `seq` (binary search; `order` is ascending). */
function upperIndex(order: TweetRecord[], seq: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertBySeq(order: TweetRecord[], record: TweetRecord): void {
  // almost always an append: events arrive in sequence order
  if (order.length === 0 || order[order.length - 1]!.seq < record.seq) {
    order.push(record);
    return;
  }
  order.splice(upperIndex(order, record.seq), 0, record);
}
