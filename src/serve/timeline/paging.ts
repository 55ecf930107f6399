// Older tweets than memory holds: their ids read from the stream, newest first, through
// the one range reader the `view` command uses (src/nats/view.ts: a reader consumer per
// range, recreated on silence, the read stopped when the budget runs out), their counts
// from the view's records. A range that gets no answer is a 503 the client may retry.

import type { Connection } from "../../nats/connection.js";
import { streamState } from "../../nats/follow.js";
import { planView } from "../../nats/view.js";
import type { StoredMessage } from "../../output/events.js";
import { timelineEvent } from "../../events.js";
import { HttpError } from "../http-error.js";
import { tweetSummary, type TweetRecord, type TweetSummary } from "./model.js";

/** silence after which a range is read again from where it stood, and the whole budget */
const RESTART_MS = 1_000;
const BUDGET_MS = 4_000;

export interface PagingDeps {
  conn: Connection;
  stream: string;
  /** a tweet's record in the view (undefined: none, or no tweet in it) */
  record(id: string): Promise<TweetRecord | undefined>;
}

/** Hands over every stored message from `from` to `to` (inclusive), oldest first. */
export async function readRange(
  deps: Pick<PagingDeps, "conn" | "stream">,
  from: number,
  to: number,
  onMessage: (m: StoredMessage) => void,
): Promise<void> {
  const plan = await planView(deps.conn, {
    stream: deps.stream,
    start: { deliver_policy: "by_start_sequence", opt_start_seq: from },
    count: to - from + 1,
    restartMs: RESTART_MS,
    budgetMs: BUDGET_MS,
  });
  const messages = plan.messages;
  for (;;) {
    const next = await messages.next();
    if (next.done) {
      if (next.value.stopped) {
        throw new HttpError(503, `no answer from the stream reading ${from}–${to}; retry`, {
          "Retry-After": "1",
        });
      }
      return;
    }
    if (next.value.seq > to) {
      await messages.return({ stopped: false, shown: 0 });
      return;
    }
    onMessage(next.value);
  }
}

/** Up to `limit` tweets stored before `before`, newest first. */
export async function olderTweets(
  deps: PagingDeps,
  before: number,
  limit: number,
): Promise<TweetSummary[]> {
  const state = await streamState(deps.conn, deps.stream);
  const found: Array<{ seq: number; id: string }> = [];
  let end = Math.min(before - 1, state.last_seq);
  let span = Math.max(limit * 4, 256);
  while (found.length < limit && end >= state.first_seq && state.messages > 0) {
    const start = Math.max(state.first_seq, end - span + 1);
    const chunk: Array<{ seq: number; id: string }> = [];
    await readRange(deps, start, end, (m) => {
      const e = timelineEvent(m.subject, m.data);
      if (e?.messageType === "tweet_created") chunk.push({ seq: m.seq, id: e.id });
    });
    found.push(...chunk.reverse());
    end = start - 1;
    span *= 4;
  }
  const records = await Promise.all(found.map((f) => deps.record(f.id)));
  const out: TweetSummary[] = [];
  for (let i = 0; i < found.length && out.length < limit; i++) {
    const rec = records[i];
    // a tweet id stored again later is shown once, at its first event
    if (rec?.tweet?.seq === found[i]!.seq) out.push(tweetSummary(rec)!);
  }
  return out;
}
