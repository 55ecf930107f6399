// The newest page before the view is built (issue 20): the like counts of the newest
// tweets depend only on events stored after the oldest of them, so the page is read from
// the stream's tail, whatever its length, while the whole view builds behind it. The
// stream's end, the number of tweets (the messages on `<STREAM>.tweet_created`, from the
// stream's own per-subject state) and the tail are read as of one stream info, so the
// page is exact as of its `lastSeq`. Anything else before the view is ready answers 503.

import type { Connection } from "../../nats/connection.js";
import { timelineEvent, subjectFor, type TweetEvent } from "../../events.js";
import { HttpError } from "../http-error.js";
import { RecentWindow, type TweetSummary } from "./model.js";
import { readRange } from "./paging.js";

/** The page size the tail is read for (the page's own first page). */
export const TAIL_TWEETS = 50;
/** A tail with fewer tweets than asked in this many events is not read further (503). */
const MAX_TAIL_EVENTS = 200_000;
/** A page read this long ago is read again when the stream grew. */
const FRESH_MS = 1_000;

export interface TailPage {
  tweets: TweetSummary[];
  total: number;
  lastSeq: number;
}

const notYet = (why: string) =>
  new HttpError(503, `not ready: ${why}; retry`, { "Retry-After": "1" });

/** The newest `TAIL_TWEETS` tweets with exact like counts, as of the stream's end now. */
export async function readTail(conn: Connection, stream: string): Promise<TailPage> {
  const subject = subjectFor(stream, "tweet_created");
  const info = await (await conn.jsm()).streams.info(stream, { subjects_filter: subject });
  const { first_seq, last_seq, messages } = info.state;
  const total = info.state.subjects?.[subject] ?? 0;
  // newest first, chunk by chunk, until TAIL_TWEETS tweets are found
  const chunks: Array<Array<{ seq: number; event: TweetEvent }>> = [];
  const ids = new Set<string>();
  let read = 0;
  let end = last_seq;
  let span = 1024;
  while (ids.size < TAIL_TWEETS && messages > 0 && end >= first_seq) {
    if (read > MAX_TAIL_EVENTS) throw notYet("the newest tweets are far back in the stream");
    const start = Math.max(first_seq, end - span + 1);
    const chunk: Array<{ seq: number; event: TweetEvent }> = [];
    await readRange({ conn, stream }, start, end, (m) => {
      const event = timelineEvent(m.subject, m.data);
      if (event) chunk.push({ seq: m.seq, event });
    });
    for (let i = chunk.length - 1; i >= 0 && ids.size < TAIL_TWEETS; i--) {
      const e = chunk[i]!.event;
      if (e.messageType === "tweet_created") ids.add(e.id);
    }
    chunks.unshift(chunk);
    read += end - start + 1;
    end = start - 1;
    span *= 4;
  }
  // oldest first: every event from the oldest of those tweets on, as the view applies them
  const window = new RecentWindow([], 0, Number.MAX_SAFE_INTEGER);
  for (const chunk of chunks) for (const { seq, event } of chunk) window.apply(seq, event);
  const tweets = window.timeline(TAIL_TWEETS);
  return { tweets, total, lastSeq: last_seq };
}

/** The tail, read once a second at most (one read at a time), answering the first page. */
export class Tail {
  private page: { at: number; value: TailPage } | undefined;
  private reading: Promise<TailPage> | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly stream: string,
  ) {}

  /** The first page (no `before`) of at most TAIL_TWEETS; 503 for anything else. */
  async timeline(
    limit: number,
    before: number,
  ): Promise<{ tweets: TweetSummary[]; total: number; lastSeq: number }> {
    if (before !== Infinity || limit > TAIL_TWEETS) {
      throw notYet(`the view is being built; only the newest ${TAIL_TWEETS} tweets are served`);
    }
    const page = await this.current();
    return { tweets: page.tweets.slice(0, limit), total: page.total, lastSeq: page.lastSeq };
  }

  private async current(): Promise<TailPage> {
    if (this.page && Date.now() - this.page.at < FRESH_MS) return this.page.value;
    this.reading ??= readTail(this.conn, this.stream).finally(() => (this.reading = undefined));
    const value = await this.reading;
    this.page = { at: Date.now(), value };
    return value;
  }
}
