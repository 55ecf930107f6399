// A fresh build: a new generation built from the stream by one writer run, start to end.
// A tweet nobody liked gets no record (most of a first build's writes): the id index
// (./tweet-index.ts) finds it in the stream, and is written once the build has read to
// the end. Until then the stored head stays where the build began (`building` says how far
// it got), so nothing reads a generation whose index is not written, and a writer that
// finds a build stopped half-way (a crash, a lease taken over) builds it again the way a
// restart catches up, writing every record. Records the build writes (likes) are exact by
// `last_seq` as always. The writer (./writer.ts) asks this file what to write.

import type { TimelineBucket } from "../../nats/timeline-bucket.js";
import type { Events } from "./batch.js";
import type { TimelineHead, timelineKeys } from "./keys.js";
import { BuildIndex, type EventAt } from "./tweet-index.js";
import { MAX_INDEXED_SEQ } from "./id-index.js";
import type { TweetRecord } from "./model.js";

/**
 * Tweets a fresh build indexes in memory (8-byte slots, 3/4 full at most: 11 MiB); the records of
 * those after them are written, as a restart's catch-up writes them.
 */
const BUILD_MAX_TWEETS = 1 << 20;

export class FreshBuild {
  readonly index: BuildIndex;
  /** keys liked while no creation of theirs was seen: a record of likes only is stored */
  private readonly likedFirst = new Set<string>();

  constructor(
    /** the head the build began from (stored, with `building`, until the end) */
    private readonly start: TimelineHead,
    eventAt: EventAt,
    /** the stream's messages when it began (the index is sized for that many tweets) */
    messages: number,
    private readonly maxTweets = BUILD_MAX_TWEETS,
  ) {
    this.index = new BuildIndex(eventAt, Math.min(messages, maxTweets));
  }

  /** Whether `key` (tweet `id`) may have a record or an earlier creation: read it first. */
  mayKnow(key: string, id: string): boolean {
    return this.likedFirst.has(key) || this.index.mayKnow(id);
  }

  /** The head as stored while the build runs. */
  stored(next: TimelineHead): TimelineHead {
    return { ...this.start, building: next.cursor };
  }

  /**
   * Notes `rec` (its `events` applied; `known`: a record was stored or cached before) and
   * says whether it must be written: not when it is a tweet just created, and nothing else.
   */
  needsWrite(key: string, rec: TweetRecord, events: Events, known: boolean): boolean {
    if (!rec.tweet) {
      if (!this.index.mayKnow(rec.id)) this.likedFirst.add(key);
      return true;
    }
    const created = events.some((e) => e.seq === rec.tweet!.seq);
    const full = this.index.size >= this.maxTweets || rec.tweet.seq > MAX_INDEXED_SEQ;
    if (!created || full) return true;
    this.index.note(rec.id, rec.tweet.seq);
    // (a tweet stored twice in one batch: its record says the second was applied)
    return known || rec.likes > 0 || rec.last_seq !== rec.tweet.seq;
  }

  /** Writes the index; the head that says it is there is the caller's. */
  finish(bucket: TimelineBucket, keys: ReturnType<typeof timelineKeys>): Promise<number> {
    return this.index.write(bucket, keys);
  }
}
