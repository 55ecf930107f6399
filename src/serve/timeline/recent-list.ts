// The writer's list of the newest tweets in the bucket (`g<N>.recent`): what a new instance
// starts from without reading a record. Written at most every RECENT_EVERY_MS while the
// view moves (the rest once things are quiet), never over another writer's newer one.

import { RevisionConflict, type TimelineBucket } from "../../nats/timeline-bucket.js";
import { isRecentList, isRecordOf, type RecentList, type timelineKeys } from "./keys.js";
import { RecentWindow } from "./model.js";

/** Tweets kept in the persisted recent list (a new instance's first page). */
export const RECENT_KEPT = 200;
const RECENT_MAX_BYTES = 256 * 1024;
const RECENT_EVERY_MS = 500;

/**
 * The window the stored list gives a writer, and the list's revision. The list may be older
 * than the head: its records are taken as they are now (one of likes only keeps the list's
 * tweet, which the id index has).
 */
export async function readRecentList(
  bucket: TimelineBucket,
  keys: ReturnType<typeof timelineKeys>,
): Promise<[RecentWindow, number]> {
  const recent = await bucket.get(keys.recent, isRecentList);
  const records = await Promise.all(
    (recent?.value.tweets ?? []).map(async (r) => {
      const now = (await bucket.get(keys.record(r.id), isRecordOf(r.id)))?.value;
      return now ? { ...now, tweet: now.tweet ?? r.tweet } : r;
    }),
  );
  const window = new RecentWindow(records, recent?.value.covers_from ?? 0, RECENT_KEPT);
  return [window, recent?.revision ?? 0];
}

export class RecentListWriter {
  private timer: NodeJS.Timeout | undefined;
  private writtenAt = 0;
  private cursor = -1;

  constructor(
    private readonly bucket: TimelineBucket,
    private readonly key: string,
    private readonly window: RecentWindow,
    /** the list's revision as this writer knows it */
    private revision: number,
    /** called once the list is due again after a write was put off */
    private readonly later: () => void,
  ) {}

  /** Writes the list as of `cursor` (`force`: now, else unless written a moment ago). */
  async write(cursor: number, force: boolean): Promise<void> {
    const now = Date.now();
    if (this.cursor === cursor) return;
    if (!force && now - this.writtenAt < RECENT_EVERY_MS) {
      // written a moment ago: write the rest once things are quiet
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.later();
      }, RECENT_EVERY_MS);
      return;
    }
    let list: RecentList = {
      cursor,
      covers_from: this.window.coversFrom,
      tweets: this.window.records(),
    };
    // keep it well under the server's max_payload: fewer tweets when they are long
    while (Buffer.byteLength(JSON.stringify(list)) > RECENT_MAX_BYTES && list.tweets.length > 1) {
      const kept = list.tweets.slice(Math.ceil(list.tweets.length / 4));
      list = { ...list, covers_from: kept[0]!.tweet!.seq, tweets: kept };
    }
    try {
      this.revision = await this.bucket.write(this.key, list, this.revision);
    } catch (err) {
      if (!(err instanceof RevisionConflict)) throw err;
      // another writer wrote one: write ours next time, on top of its revision
      this.revision = (await this.bucket.get(this.key, isRecentList))?.revision ?? 0;
      return;
    }
    this.writtenAt = now;
    this.cursor = cursor;
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
