// The writer of serve's materialized view: applies the stream's events, in stream order,
// to the records in the bucket, in batches (a key touched several times in a batch is
// written once; the batch's records are sent at once and their acks awaited together,
// while the next batch is queued), each record with compare-and-set on its revision (a
// record not cached is read first, except a new tweet's); then moves the head
// (the last applied sequence and the totals) and, now and then, the list of recent
// tweets. A crash between those steps is harmless: a record's `last_seq` says which
// events it already has, so re-applying a batch changes nothing twice. A large batch (catching
// up) goes without an ack per record, confirmed by the head's write (src/nats/bucket-writes.ts).
// A new generation is built fresh (./fresh-build.ts): a tweet nobody liked gets no record.

import type { TweetEvent } from "../../events.js";
import {
  RevisionConflict,
  TimelineDamage,
  type Versioned,
  type TimelineBucket,
} from "../../nats/timeline-bucket.js";
import { type RecentWindow, type TweetRecord } from "./model.js";
import { readRecentList, RecentListWriter } from "./recent-list.js";
import { StoredIndex, withTweet, type EventAt, type TweetIndex } from "./tweet-index.js";
import { FreshBuild } from "./fresh-build.js";
import { applyAll, byKeyOf, headAfter, type Events, type Prepared } from "./batch.js";
import { isHead, isRecordOf, timelineKeys, type TimelineHead } from "./keys.js";

/**
 * Messages per batch; one batch is written while the next is queued. Bulk batches (sent
 * without an ack each: src/nats/bucket-writes.ts) are larger: one confirm and one head per
 * 500 (at 100 000 events on a loaded machine, 1 000 against 250: 4.8–5.2 s against 5.2–6.4 s;
 * 500 as fast, and peak RSS at 1 000 000 events 147 MiB against 155–156 at 1 000).
 */
const BATCH = 250;
const BULK_BATCH = 500;
const FLUSH_AFTER_MS = 100;
const CACHE_RECORDS = 2_000;
/**
 * A batch changing at least this many records is sent without an ack each, confirmed by the
 * head (catching up, a rebuild: full batches); a live batch of a few events keeps an ack
 * per record (nothing measurable to gain, and each record's refusal is its own).
 */
const BULK_MIN = 32;

export class TimelineWriter {
  /** the queued batch: its tweet events, and how many messages it has in all */
  private pending: Events = [];
  private pendingCount = 0;
  private readonly cache = new Map<string, Versioned<TweetRecord>>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private readonly recentList: RecentListWriter;
  private queued = 0;
  /** the bulk batch sent and not confirmed yet, and where the writer stood before it */
  private confirming:
    | { confirmed: Promise<boolean>; p: Prepared; to: number; head: TimelineHead; headRev: number }
    | undefined;
  readonly keys: ReturnType<typeof timelineKeys>;
  private build: FreshBuild | undefined;
  /** where tweets without a record are found (none: every tweet has one) */
  private tweets: TweetIndex | undefined;

  private constructor(
    private readonly bucket: TimelineBucket,
    readonly gen: number,
    public head: TimelineHead,
    private headRev: number,
    private readonly recent: RecentWindow,
    recentRev: number,
  ) {
    this.keys = timelineKeys(gen);
    this.recentList = new RecentListWriter(bucket, this.keys.recent, recent, recentRev, () => {
      void this.flush({ recent: true }).catch(() => undefined);
    });
  }

  /** The writer of generation `gen`, from where it stands (a new generation: from `start`). */
  static async open(
    bucket: TimelineBucket,
    gen: number,
    start: Pick<TimelineHead, "stream_created" | "first_seq">,
    opts: {
      /** the stream's event at a sequence (the id index's lookups) */
      eventAt: EventAt;
      /** a new generation is built fresh (false: every record written, as a catch-up does) */
      fresh?: boolean;
      /** the stream's messages now (what a fresh build's index is sized for) */
      messages?: number;
    },
  ): Promise<TimelineWriter> {
    const { eventAt, fresh: freshBuild = true, messages = 0 } = opts;
    const keys = timelineKeys(gen);
    const head = await bucket.get(keys.head, isHead);
    const recent = await readRecentList(bucket, keys);
    const fresh: TimelineHead = {
      ...start,
      cursor: Math.max(0, start.first_seq - 1),
      tweets: 0,
      likes: 0,
    };
    // a fresh build stopped half-way is caught up from where it began, writing every record
    const { building: _, ...stored } = head?.value ?? fresh;
    const w = new TimelineWriter(bucket, gen, stored, head?.revision ?? 0, ...recent);
    if (!head && freshBuild) w.tweets = (w.build = new FreshBuild(fresh, eventAt, messages)).index;
    else if (stored.index) w.tweets = new StoredIndex(bucket, keys, stored.index.shards, eventAt);
    // a new generation says at once where it stands (other instances wait for it)
    if (!head) await w.writeHead(fresh);
    return w;
  }

  /** The last stream sequence queued: every message up to it is in the view or on its way. */
  get queuedTo(): number {
    return Math.max(this.queued, this.head.cursor);
  }

  /**
   * Queues a stored message (`event` null: not a tweet event). When a batch is full it is
   * written, and the promise of the batch before it returned (wait for it: one batch is in
   * flight while the next is queued). Messages must come in stream order; one at or below
   * `queuedTo` is skipped.
   */
  add(seq: number, event: TweetEvent | null): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    if (seq <= this.queuedTo) return undefined;
    this.queued = seq;
    if (event) this.pending.push({ seq, event });
    if (++this.pendingCount >= (this.bucket.bulk ? BULK_BATCH : BATCH)) {
      // the stream is read on while this batch is written: wait only for the one before
      const before = this.chain;
      this.flush().catch(() => undefined); // its failure is `failure`: the next add throws it
      return before;
    }
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_AFTER_MS);
    return undefined;
  }

  /** Cancels the timers (the caller flushed with `recent` first, or gave up). */
  close(): void {
    clearTimeout(this.timer);
    this.recentList.close();
  }

  /** Applies everything queued; resolves once the bucket has it. */
  flush(opts: { recent?: boolean } = {}): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    const count = this.pendingCount;
    const to = this.queued;
    this.pending = [];
    this.pendingCount = 0;
    this.chain = this.chain.then(async () => {
      if (this.failure) throw this.failure;
      try {
        if (count > 0) await this.apply(batch, to);
        if (opts.recent && this.build) await this.finishBuild();
        // during a fresh build the stored head stays where it began: no list beyond it
        if (!this.build) await this.recentList.write(this.head.cursor, opts.recent ?? false);
      } catch (err) {
        this.failure = err;
        throw err;
      }
    });
    return this.chain;
  }

  /** Applies a batch's events (every message up to `to` is then in the view). */
  private async apply(batch: Events, to: number): Promise<void> {
    const p = await this.prepare(batch);
    if (p.items.length >= BULK_MIN && (await this.sendBulk(p, to))) await this.settle();
    else await this.writeAcked(p, to);
  }

  /** What a batch writes: each key's record with its events applied, from cache or read. */
  private async prepare(batch: Events): Promise<Prepared> {
    const byKey = byKeyOf(batch, this.keys.record);
    const stored = await this.readAll(byKey);
    const p: Prepared = { written: [], sent: [], items: [] };
    for (const [key, events] of byKey) {
      const known = stored.get(key);
      const rec = applyAll(known?.value ?? null, events);
      if (this.build && !this.build.needsWrite(key, rec, events, known !== undefined)) {
        // a new tweet, nothing else: the stream and the id index have it (no record yet)
        p.written.push({ rec, events });
        this.remember(key, { value: rec, revision: 0 });
        continue;
      }
      if (rec === known?.value) p.written.push({ rec, events });
      else {
        p.sent.push({ key, events, before: known?.value.last_seq ?? 0 });
        p.items.push({ key, value: rec, revision: known?.revision ?? 0 });
      }
    }
    return p;
  }

  /** Writes a prepared batch with an ack per record, then the head. */
  private async writeAcked(p: Prepared, to: number): Promise<void> {
    // every changed record is sent at once (one socket write for many), then the acks awaited
    const { items, sent } = p;
    const written = [...p.written];
    const results = await this.bucket.writeMany(items);
    let refused: Array<Promise<void>> | undefined;
    let failed: Error | undefined;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const { key, events, before } = sent[i]!;
      if (typeof result === "number") {
        const rec = items[i]!.value as TweetRecord;
        this.remember(key, { value: rec, revision: result });
        written.push({ rec, events });
        continue;
      }
      this.cache.delete(key);
      if (!(result instanceof RevisionConflict)) {
        failed ??= result;
        continue;
      }
      // another writer wrote it since it was read (or it was not new): read, apply, again
      const again = this.writeRecord(key, events, before).then(
        (rec) => void written.push({ rec, events }),
      );
      (refused ??= []).push(again);
    }
    if (refused) await Promise.all(refused);
    if (failed) throw failed;
    await this.writeHead(headAfter(this.head, written, to));
    for (const { rec } of written) this.recent.upsert(rec);
  }

  /**
   * Sends the batch's records without an ack each, confirmed by the head's write
   * (src/nats/bucket-writes.ts writeBulk), and takes them as written at their predicted
   * revisions until `settle` hears the confirm; false when not sent (the acked way then).
   * (Preparing the next batch while this one is confirmed was measured too: no steady gain
   * on the shared machine, and two batches' records alive at once.)
   */
  private async sendBulk(p: Prepared, to: number): Promise<boolean> {
    const all = [
      ...p.written,
      ...p.items.map((item, i) => ({ rec: item.value as TweetRecord, events: p.sent[i]!.events })),
    ];
    const next = headAfter(this.head, all, to);
    const sent = await this.bucket.writeBulk(p.items, {
      key: this.keys.head,
      value: this.stored(next),
      revision: this.headRev,
    });
    if (!sent) return false;
    this.confirming = { confirmed: sent.confirmed, p, to, head: this.head, headRev: this.headRev };
    for (let i = 0; i < p.items.length; i++) {
      const value = p.items[i]!.value as TweetRecord;
      this.remember(p.sent[i]!.key, { value, revision: sent.revisions[i]! });
    }
    this.headRev = sent.head;
    this.head = next;
    for (const { rec } of all) this.recent.upsert(rec);
    return true;
  }

  /**
   * Waits for the bulk batch sent to be confirmed. Not confirmed, the writer goes back where
   * it stood before it (nothing cached from then on) and writes it the acked way, whose
   * compare-and-sets find what landed.
   */
  private async settle(): Promise<void> {
    const c = this.confirming;
    if (!c) return;
    this.confirming = undefined;
    if (await c.confirmed) return;
    this.cache.clear();
    this.head = c.head;
    this.headRev = c.headRev;
    await this.writeAcked(c.p, c.to);
  }

  /**
   * The stored record of every key the batch touches, as far as it must be read: from the
   * cache, else read (all at once), except a key whose first event creates its tweet and that
   * cannot be known (written with revision 0; a conflict reads it then).
   */
  private async readAll(byKey: Map<string, Events>): Promise<Map<string, Versioned<TweetRecord>>> {
    const stored = new Map<string, Versioned<TweetRecord>>();
    const reads: Array<Promise<void>> = [];
    for (const [key, events] of byKey) {
      const cached = this.cache.get(key);
      const { id, messageType } = events[0]!.event;
      if (cached) stored.set(key, cached);
      else if (messageType !== "tweet_created" || this.mayKnow(key, id)) {
        const read = async () => {
          const got = await this.readRecord(key, id, messageType === "tweet_created");
          if (got) stored.set(key, got);
        };
        reads.push(read());
      }
    }
    await Promise.all(reads);
    return stored;
  }

  private mayKnow(key: string, id: string): boolean {
    return this.build ? this.build.mayKnow(key, id) : this.tweets !== undefined;
  }

  /**
   * The record of `key` to apply events to. One of likes only (its tweet in the id index)
   * gets its tweet for a creation (the first stays) or, for a like, from the recent window.
   */
  private async readRecord(key: string, id: string, creation: boolean) {
    const got = await this.bucket.get(key, isRecordOf(id));
    if (got?.value.tweet || !this.tweets) return got;
    const tweet = creation ? await this.tweets.tweet(id) : this.recent.get(id)?.tweet;
    return tweet ? withTweet(got, id, tweet) : got;
  }

  /**
   * The record of `key` as stored, read again, with `events` applied (retried on a conflict).
   * A record that holds less than the writer knew it stored (`before`, its highest sequence)
   * lost a write: someone wrote an older one over it (a second writer, or one that counting
   * could not see in a bulk batch). Its events are not in the batch: damage, rebuilt.
   */
  private async writeRecord(key: string, events: Events, before = 0): Promise<TweetRecord> {
    const { id, messageType } = events[0]!.event;
    for (let attempt = 0; ; attempt++) {
      const current = await this.readRecord(key, id, messageType === "tweet_created");
      const held = current?.value.last_seq ?? 0;
      if (held < before) {
        const why = `it holds events up to ${held}, ${before} was written: a write was lost`;
        throw new TimelineDamage(key, why, current?.revision ?? 0);
      }
      const rec = applyAll(current?.value ?? null, events);
      if (rec === current?.value) {
        // kept: a tweet's first event is written as new, a refusal a bulk batch would pay for
        this.remember(key, current);
        return rec;
      }
      try {
        const revision = await this.bucket.write(key, rec, current?.revision ?? 0);
        this.remember(key, { value: rec, revision });
        return rec;
      } catch (err) {
        if (!(err instanceof RevisionConflict) || attempt >= 10) throw err;
      }
    }
  }

  private remember(key: string, entry: Versioned<TweetRecord>): void {
    // the oldest goes when a new key would overflow it (a known key only moves to the end)
    if (!this.cache.delete(key) && this.cache.size >= CACHE_RECORDS) {
      this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, entry);
  }

  /** The head as stored: during a fresh build, where it began and how far it got. */
  private stored(next: TimelineHead): TimelineHead {
    return this.build?.stored(next) ?? next;
  }

  /** Writes the id index, then the head that says it is there: the build's end. */
  private async finishBuild(): Promise<void> {
    const shards = await this.build!.finish(this.bucket, this.keys);
    this.build = undefined;
    await this.writeHead({ ...this.head, index: { shards } });
  }

  private async writeHead(next: TimelineHead): Promise<void> {
    const progress = (h: TimelineHead) => h.building ?? h.cursor;
    for (let attempt = 0; ; attempt++) {
      try {
        this.headRev = await this.bucket.write(this.keys.head, this.stored(next), this.headRev);
        this.head = next;
        return;
      } catch (err) {
        if (!(err instanceof RevisionConflict) || attempt >= 10) throw err;
        // another writer moved it: never move it back
        const other = await this.bucket.get(this.keys.head, isHead);
        this.headRev = other?.revision ?? 0;
        if (other && progress(other.value) >= progress(this.stored(next))) {
          this.head = next;
          return;
        }
      }
    }
  }
}
