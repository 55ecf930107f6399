// A batch of the view writer (./writer.ts) as plain data: each key's events, a record with
// them applied, what a batch writes, and the head once it is written.

import type { TweetEvent } from "../../events.js";
import type { WriteItem } from "../../nats/timeline-bucket.js";
import type { TimelineHead } from "./keys.js";
import { applyEvent, totalsDelta, type TweetRecord } from "./model.js";

/** A key's events in a batch, in stream order. */
export type Events = Array<{ seq: number; event: TweetEvent }>;

/** What a batch writes: changed records (`items`, with `sent`'s keys and events), the rest. */
export interface Prepared {
  /** records the batch leaves as they are (every event in them already) */
  written: Array<{ rec: TweetRecord; events: Events }>;
  /** `before`: the highest sequence the record held as the writer knew it (0: new) */
  sent: Array<{ key: string; events: Events; before: number }>;
  items: WriteItem[];
}

/** `events` applied to `rec` in order (`rec` itself when every one is in it already). */
export function applyAll(rec: TweetRecord | null, events: Events): TweetRecord {
  let out = rec;
  for (const { seq, event } of events) out = applyEvent(out, seq, event) ?? out;
  return out!;
}

/** The batch's events by the key of their record, each key's in stream order. */
export function byKeyOf(batch: Events, keyOf: (id: string) => string): Map<string, Events> {
  const byKey = new Map<string, Events>();
  for (const item of batch) {
    const key = keyOf(item.event.id);
    const list = byKey.get(key);
    if (list) list.push(item);
    else byKey.set(key, [item]);
  }
  return byKey;
}

/** `head` once `written` (every record the batch touched, as stored) is in the view. */
export function headAfter(
  head: TimelineHead,
  written: Array<{ rec: TweetRecord; events: Events }>,
  to: number,
): TimelineHead {
  let tweets = 0;
  let likes = 0;
  for (const { rec, events } of written) {
    for (const { seq, event } of events) {
      const d = totalsDelta(rec, seq, event);
      tweets += d.tweets;
      likes += d.likes;
    }
  }
  return { ...head, cursor: to, tweets: head.tweets + tweets, likes: head.likes + likes };
}
