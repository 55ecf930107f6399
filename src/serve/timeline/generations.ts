// Which generation of the view is in use (`_current`), and damage: a value that does not
// pass its check, a key gone missing, a removed bucket. Damage is noted once per episode
// (TimelineCondition) and, by an instance that does not write, passed on to the writer
// through `_repair`; the writer answers it by building a new generation.

import {
  RevisionConflict,
  TimelineDamage,
  type TimelineBucket,
} from "../../nats/timeline-bucket.js";
import { TimelineCondition, type Damage } from "./condition.js";
import { HttpError } from "../http-error.js";
import type { TweetRecord } from "./model.js";
import {
  CURRENT_KEY,
  isCurrent,
  isHead,
  isRecordOf,
  isRepair,
  REPAIR_KEY,
  timelineKeys,
} from "./keys.js";
import { StoredIndex, withTweet, type EventAt } from "./tweet-index.js";
import { sleep } from "../../util/time.js";

export class Generations {
  /** the generation this instance reads (0: none known yet) */
  gen = 0;
  /** damage found, the bucket or the account full: what /healthz says */
  readonly health: TimelineCondition;

  /** the id index of a generation (null: it has none, every tweet has a record) */
  private index: { gen: number; index: StoredIndex | null } | undefined;

  constructor(
    private readonly bucket: TimelineBucket,
    warn: (text: string) => void,
    /** whether this instance holds the writer lease (then it repairs damage itself) */
    private readonly holding: () => boolean,
    /** the stream's event at a sequence (where the id index points) */
    private readonly eventAt: EventAt,
  ) {
    this.health = new TimelineCondition(warn);
  }

  /**
   * The generation in use. Damage (what `_current` holds is no generation, or it went
   * missing under a view in use: a purge) keeps the one this instance follows until the
   * writer switched every instance to a new one.
   */
  async current(): Promise<number> {
    const read = () => this.readChecked(() => this.bucket.get(CURRENT_KEY, isCurrent));
    const current = await read();
    if (current) return current.value.gen;
    if (this.health.damage) return Math.max(this.gen, 1);
    if (this.gen > 0) {
      this.noteDamage(`${CURRENT_KEY} is missing (the bucket was purged)`);
      return this.gen;
    }
    try {
      await this.bucket.write(CURRENT_KEY, { gen: 1 }, 0);
      return 1;
    } catch (err) {
      if (!(err instanceof RevisionConflict)) throw err;
      return (await read())?.value.gen ?? 1;
    }
  }

  /** The value `read` gives, or null when it is damaged (noted: the writer repairs it). */
  async readChecked<T>(read: () => Promise<T | null>): Promise<T | null> {
    try {
      return await read();
    } catch (err) {
      if (!this.noteDamage(err)) throw err;
      return null;
    }
  }

  /** Notes damage (a TimelineDamage or a reason); false when `err` is no damage. */
  noteDamage(err: unknown): boolean {
    const found = this.health.noteDamage(err, this.gen);
    if (found === false) return false;
    // the writer may never read what this instance read: tell it
    if (found && !this.holding()) void this.requestRepair(found).catch(() => undefined);
    return true;
  }

  /** Damage another instance found in the generation in use (the writer repairs it). */
  async repairRequested(): Promise<void> {
    // not itself damage: a rebuild would leave it as it is
    const asked = await this.bucket.get(REPAIR_KEY, isRepair).catch((err: unknown) => {
      if (err instanceof TimelineDamage) return null;
      throw err;
    });
    if (asked && asked.value.gen === this.gen) {
      this.noteDamage(`another instance found: ${asked.value.reason}`);
    }
  }

  /** The bucket was removed: created again (the view is then rebuilt), or `err` rethrown. */
  async recreateBucket(err: unknown): Promise<void> {
    if (!(await this.bucket.recreate())) throw err;
    this.noteDamage(`the bucket ${this.bucket.name} was removed; created again`);
  }

  /**
   * Tweet `id`'s record in the generation in use (undefined: none, or no tweet in it); one
   * of likes only, or none, gets its tweet from the id index (a fresh build writes no record
   * for a tweet nobody liked).
   */
  async record(id: string): Promise<TweetRecord | undefined> {
    let rec;
    try {
      rec = await this.bucket.get(timelineKeys(this.gen).record(id), isRecordOf(id));
      if (!rec?.value.tweet) {
        const tweet = await (await this.indexOf(this.gen))?.tweet(id);
        if (tweet) rec = withTweet(rec, id, tweet);
      }
    } catch (err) {
      // no 500: damage is repaired (a removed bucket created again) within a rebuild
      const why = err instanceof Error ? err.message : String(err);
      const text = this.noteDamage(err)
        ? `the view is being repaired: ${why}`
        : `the view's bucket cannot be read: ${why}`;
      throw new HttpError(503, text, { "Retry-After": "1" });
    }
    return rec?.value.tweet ? rec.value : undefined;
  }
  /**
   * The like count of an older tweet (not in memory) once a writer (this or another
   * instance) applied the like stored at `seq`; after a second, the count before it plus one.
   */
  async likesOnceApplied(id: string, seq: number): Promise<number> {
    const deadline = Date.now() + 1000;
    for (;;) {
      const rec = await this.record(id);
      if (!rec) return 1;
      if (rec.last_seq >= seq) return rec.likes;
      if (Date.now() > deadline) return rec.likes + 1;
      await sleep(20);
    }
  }

  /** Generation `gen`'s id index as its head names it (read once per generation). */
  private async indexOf(gen: number): Promise<StoredIndex | null> {
    if (this.index?.gen === gen) return this.index.index;
    const keys = timelineKeys(gen);
    const head = (await this.bucket.get(keys.head, isHead))?.value;
    const shards = head?.index?.shards;
    const index = shards ? new StoredIndex(this.bucket, keys, shards, this.eventAt) : null;
    // a build not ended yet may still write one (nothing reads it before: readiness)
    if (head && head.building === undefined) this.index = { gen, index };
    return index;
  }

  private async requestRepair(damage: Damage): Promise<void> {
    const current = await this.bucket.get(REPAIR_KEY, isRepair).catch((err: unknown) => {
      if (err instanceof TimelineDamage) return { revision: err.revision };
      throw err;
    });
    await this.bucket.write(REPAIR_KEY, damage, current?.revision ?? 0);
  }
}
