// A stream in memory for the timeline's unit tests: stored messages built from events,
// and a StreamSource (src/serve/timeline/writing.ts) whose followers hand them over in
// order, waiting for each onMessage as the real follower does.

import {
  buildLike,
  buildTweet,
  encodeEvent,
  subjectFor,
  timelineEvent,
  type TweetEvent,
} from "../../../src/events.js";
import type { Follower, FollowOptions } from "../../../src/nats/follow.js";
import type { StoredMessage } from "../../../src/output/events.js";
import type { StreamSource } from "../../../src/serve/timeline/writing.js";

export const STREAM = "S";

export function stored(seq: number, event: TweetEvent): StoredMessage {
  return {
    stream: STREAM,
    seq,
    subject: subjectFor(STREAM, event.messageType),
    time: new Date(0),
    data: encodeEvent(event),
  };
}

/** `tweets` tweets t1…tN, then a like of t1 by each of `likers`: sequences from 1. */
export function tweetsAndLikes(tweets: number, likers: number): StoredMessage[] {
  const out: StoredMessage[] = [];
  const date = new Date("2026-01-01T00:00:00Z");
  for (let i = 1; i <= tweets; i++) {
    out.push(
      stored(out.length + 1, buildTweet({ id: `t${i}`, message: `m${i}`, author: "a", date })),
    );
  }
  for (let i = 1; i <= likers; i++) {
    out.push(stored(out.length + 1, buildLike({ tweetId: "t1", author: `u${i}`, date })));
  }
  return out;
}

/** The event stored at a sequence of `messages` (what a message get answers), counting reads. */
export function eventsAt(messages: StoredMessage[]) {
  const bySeq = new Map(messages.map((m) => [m.seq, m]));
  const read = { count: 0 };
  const eventAt = async (seq: number) => {
    read.count++;
    const m = bySeq.get(seq);
    return m ? timelineEvent(m.subject, m.data) : null;
  };
  return { eventAt, read };
}

export function scriptedStream(messages: StoredMessage[]) {
  const followers: Array<{ fromSeq: number; stopped: boolean }> = [];
  const { eventAt, read } = eventsAt(messages);
  const source: StreamSource = {
    eventAt,
    lastSeq: async () => messages.at(-1)?.seq ?? 0,
    async follow(opts: FollowOptions): Promise<Follower> {
      const fromSeq = opts.fromSeq ?? 1;
      const mine = { fromSeq, stopped: false };
      followers.push(mine);
      const last = messages.at(-1)?.seq ?? 0;
      const caughtUp = (async () => {
        for (const m of messages) {
          if (mine.stopped) return;
          if (m.seq < fromSeq) continue;
          await opts.onMessage(m, last - m.seq);
        }
      })();
      return {
        caughtUp,
        ended: new Promise<void>(() => undefined),
        async stop() {
          mine.stopped = true;
          await caughtUp.catch(() => undefined);
        },
      };
    },
  };
  return { source, followers, eventReads: read };
}
