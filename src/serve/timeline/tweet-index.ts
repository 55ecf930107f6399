// A generation's id index (./id-index.ts) as the writer and the readers use it: while a
// fresh build runs, in memory (BuildIndex); once written, in the bucket's shards
// (StoredIndex, the shards read last kept). Both answer one question: where was tweet `id`
// first created, if the stream holds it and the generation indexed it.

import {
  TimelineDamage,
  type TimelineBucket,
  type Versioned,
  type WriteItem,
} from "../../nats/timeline-bucket.js";
import type { TweetEvent } from "../../events.js";
import { emptyRecord, type StoredTweet, type TweetRecord } from "./model.js";
import type { timelineKeys } from "./keys.js";
import {
  firstCreation,
  idHash,
  IdTable,
  isIndexShard,
  seqsIn,
  shardCount,
  shardOf,
  type IndexShard,
} from "./id-index.js";

/** The stream's event at a sequence (src/nats/event-at.ts). */
export type EventAt = (seq: number) => Promise<TweetEvent | null>;

type Keys = ReturnType<typeof timelineKeys>;

/** Shards a StoredIndex keeps once read (at most ~16 MB of them). */
const SHARDS_KEPT = 512;
/** Shards written at once when a build ends (their values and encodings are alive meanwhile). */
const WRITE_CHUNK = 32;

/** `got` (tweet `id`'s record as read, or none) with `tweet`, at the revision read. */
export function withTweet(
  got: Versioned<TweetRecord> | null,
  id: string,
  tweet: StoredTweet,
): Versioned<TweetRecord> {
  const rec = got?.value ?? emptyRecord(id);
  // its creation applied: as a record written with it says
  const value = { ...rec, tweet, last_seq: Math.max(rec.last_seq, tweet.seq) };
  return { value, revision: got?.revision ?? 0 };
}

export interface TweetIndex {
  /** the first stored creation of `id` this index knows of, or null */
  tweet(id: string): Promise<StoredTweet | null>;
}

/** The index of a fresh build, in memory until `write`. */
export class BuildIndex implements TweetIndex {
  private readonly table: IdTable;

  constructor(
    private readonly eventAt: EventAt,
    expected: number,
  ) {
    this.table = new IdTable(expected);
  }

  get size(): number {
    return this.table.size;
  }

  /** Whether `id` may have been created before (false: certainly not). */
  mayKnow(id: string): boolean {
    return this.table.has(idHash(id));
  }

  tweet(id: string): Promise<StoredTweet | null> {
    return firstCreation(id, this.table.candidates(idHash(id)), this.eventAt);
  }

  /** Notes the first creation of `id` at `seq`. */
  note(id: string, seq: number): void {
    this.table.add(idHash(id), seq);
  }

  /** Writes the shards (new keys: the build purged the prefix first); how many there are. */
  async write(bucket: TimelineBucket, keys: Keys): Promise<number> {
    const count = shardCount(this.table.size);
    let items: WriteItem[] = [];
    const send = async () => {
      const results = await bucket.writeMany(items);
      items = [];
      const failed = results.find((r): r is Error => r instanceof Error);
      if (failed) throw failed;
    };
    let n = 0;
    for (const value of this.table.shards(count)) {
      items.push({ key: keys.indexShard(n++), value, revision: 0 });
      if (items.length === WRITE_CHUNK) await send();
    }
    if (items.length > 0) await send();
    return count;
  }
}

/** An index written by a build: each lookup reads (or remembers) one shard. */
export class StoredIndex implements TweetIndex {
  private readonly kept = new Map<number, IndexShard>();

  constructor(
    private readonly bucket: TimelineBucket,
    private readonly keys: Keys,
    readonly shards: number,
    private readonly eventAt: EventAt,
  ) {}

  async tweet(id: string): Promise<StoredTweet | null> {
    const hash = idHash(id);
    const shard = await this.shard(shardOf(hash, this.shards));
    return firstCreation(id, seqsIn(shard, hash), this.eventAt);
  }

  private async shard(n: number): Promise<IndexShard> {
    const known = this.kept.get(n);
    if (known) return known;
    const key = this.keys.indexShard(n);
    const got = await this.bucket.get(key, isIndexShard);
    // a generation's index is written whole before its head says it exists
    if (!got) throw new TimelineDamage(key, "missing", 0);
    if (this.kept.size >= SHARDS_KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(n, got.value);
    return got.value;
  }
}
