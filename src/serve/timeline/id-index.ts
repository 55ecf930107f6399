// Where each tweet of a generation built fresh from the stream was created, by id. A fresh
// build (./fresh-build.ts) writes no record for a tweet nobody liked: the stream holds the
// tweet, and this index finds it. In memory while the build runs (IdTable: a 32-bit hash of
// the id and the creation's stream sequence, about 11 bytes a tweet), then written once into the
// bucket as shards (`g<N>.i.<n>`, up to about SHARD_ENTRIES each, by hash). A hash names
// candidates only: the stream message at a candidate's sequence says whether it is the
// tweet (two ids may share a hash), so a lookup is exact. Pure but for the reads it is given.

import type { ValueCheck } from "../../nats/timeline-bucket.js";
import type { TweetEvent } from "../../events.js";
import type { StoredTweet } from "./model.js";

/** Entries a shard holds at most on average (about 40 KB of JSON): 512 shards at 1 000 000 tweets. */
export const SHARD_ENTRIES = 2048;

/** FNV-1a over the id's UTF-16 code units, then murmur3's finalizer: a 32-bit hash. */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** How many shards an index of `entries` has: a power of two, SHARD_ENTRIES each or fewer on average. */
export function shardCount(entries: number): number {
  let n = 1;
  while (n * SHARD_ENTRIES < entries) n *= 2;
  return n;
}

/** The shard of `hash` among `count` (a power of two). */
export const shardOf = (hash: number, count: number): number => hash & (count - 1);

/** A shard as stored: hashes ascending, each with its creation's sequence. */
export interface IndexShard {
  h: number[];
  s: number[];
}

export const isIndexShard: ValueCheck<IndexShard> = (v) => {
  const o = v as Partial<IndexShard> | null;
  if (typeof o !== "object" || o === null || !Array.isArray(o.h) || !Array.isArray(o.s))
    return "not an index shard";
  if (o.h.length !== o.s.length) return "an index shard whose lists differ in length";
  const u32 = (x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32;
  const seq = (x: unknown) => Number.isSafeInteger(x) && (x as number) > 0;
  if (!o.h.every(u32) || !o.s.every(seq)) return "an index shard with a bad entry";
  return undefined;
};

/** The sequences `shard` holds for `hash`. */
export function seqsIn(shard: IndexShard, hash: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < shard.h.length; i++) if (shard.h[i] === hash) out.push(shard.s[i]!);
  return out;
}

/** The largest sequence IdTable holds (stored in 32 bits). */
export const MAX_INDEXED_SEQ = 2 ** 32 - 1;

/** How full IdTable gets before it grows (linear probing stays short below it). */
const LOAD = 0.75;

/**
 * The in-memory index of a fresh build: open addressing over any number of slots (a hash
 * picks one by multiplication), at most LOAD full, sequence 0 marks a free slot; 8 bytes a
 * slot. Sized at once for the entries expected (growing holds the old arrays and the new
 * together for a moment).
 */
export class IdTable {
  private hashes: Uint32Array;
  private seqs: Uint32Array;
  private count = 0;

  constructor(expected = 0) {
    const slots = Math.max(1024, Math.ceil(expected / LOAD) + 1);
    this.hashes = new Uint32Array(slots);
    this.seqs = new Uint32Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /** Notes that a tweet whose id hashes to `hash` was created at `seq` (≤ MAX_INDEXED_SEQ; once per seq). */
  add(hash: number, seq: number): void {
    if (seq > MAX_INDEXED_SEQ) throw new RangeError(`sequence ${seq} is past the index's`);
    if (this.count + 1 > this.seqs.length * LOAD) this.grow();
    let i = this.slot(hash);
    while (this.seqs[i] !== 0) {
      if (this.hashes[i] === hash && this.seqs[i] === seq) return;
      i = this.next(i);
    }
    this.hashes[i] = hash;
    this.seqs[i] = seq;
    this.count++;
  }

  /** Whether any sequence is noted for `hash`. */
  has(hash: number): boolean {
    for (let i = this.slot(hash); this.seqs[i] !== 0; i = this.next(i))
      if (this.hashes[i] === hash) return true;
    return false;
  }

  /** The sequences noted for `hash`, ascending. */
  candidates(hash: number): number[] {
    const out: number[] = [];
    for (let i = this.slot(hash); this.seqs[i] !== 0; i = this.next(i))
      if (this.hashes[i] === hash) out.push(this.seqs[i]!);
    return out.sort((a, b) => a - b);
  }

  private slot(hash: number): number {
    return Math.floor((hash / 2 ** 32) * this.seqs.length);
  }

  private next(i: number): number {
    return i + 1 === this.seqs.length ? 0 : i + 1;
  }

  /**
   * Every entry, split into `count` shards by hash, each ascending by hash then sequence; made
   * one at a time (`count` of them at once would be the whole index again, as JS numbers).
   */
  *shards(count: number): Generator<IndexShard> {
    // the slots of each shard, next to each other (a counting sort by shard)
    const starts = new Uint32Array(count + 1);
    for (let i = 0; i < this.seqs.length; i++)
      if (this.seqs[i] !== 0) starts[shardOf(this.hashes[i]!, count) + 1]!++;
    for (let n = 0; n < count; n++) starts[n + 1]! += starts[n]!;
    const slots = new Uint32Array(this.count);
    const next = starts.slice(0, count);
    for (let i = 0; i < this.seqs.length; i++)
      if (this.seqs[i] !== 0) slots[next[shardOf(this.hashes[i]!, count)]!++] = i;
    for (let n = 0; n < count; n++) {
      const mine = Array.from(slots.subarray(starts[n]!, starts[n + 1]!));
      mine.sort((a, b) => this.hashes[a]! - this.hashes[b]! || this.seqs[a]! - this.seqs[b]!);
      yield { h: mine.map((i) => this.hashes[i]!), s: mine.map((i) => this.seqs[i]!) };
    }
  }

  private grow(): void {
    const { hashes, seqs } = this;
    this.hashes = new Uint32Array(seqs.length * 2);
    this.seqs = new Uint32Array(seqs.length * 2);
    this.count = 0;
    for (let i = 0; i < seqs.length; i++) if (seqs[i] !== 0) this.add(hashes[i]!, seqs[i]!);
  }
}

/**
 * The first stored creation of tweet `id` among `seqs` (ascending): the stream message at
 * each, read until one is the tweet_created of `id`; null when none is.
 */
export async function firstCreation(
  id: string,
  seqs: number[],
  eventAt: (seq: number) => Promise<TweetEvent | null>,
): Promise<StoredTweet | null> {
  for (const seq of seqs) {
    const e = await eventAt(seq);
    if (e?.messageType === "tweet_created" && e.id === id) {
      return { message: e.message, author: e.author, date: e.date, seq };
    }
  }
  return null;
}
