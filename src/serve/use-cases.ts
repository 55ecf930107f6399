// What serve's routes do, apart from HTTP: post a tweet, like one, look one up. Each takes
// checked input (src/serve/validate.ts) and returns data or throws a typed `Failure`
// (src/serve/failure.ts); src/serve/app.ts turns requests into calls and results into
// answers. Idempotency-Keys are guarded in one place (`KeyGuard`), and a write answers
// only once the timeline has read it back (read-your-write), within the timing policy.

import { CliError, ExitCode } from "../errors.js";
import { buildLike, buildTweet, type TweetEvent } from "../events.js";
import { Failure } from "./failure.js";
import { likeMessageIdForKey, tweetIdForKey, type TweetInput } from "./validate.js";
import type { TweetDetail, TweetSummary } from "./timeline/model.js";

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

/** Publishes (with `msgId`, else the event's own) and waits for the JetStream ack; throws a CliError otherwise. */
export type Publish = (event: TweetEvent, msgId?: string) => Promise<PublishResult>;

/** What the app reads: the timeline of the stream (memory, then the bucket and the stream). */
export interface TimelineReads {
  /** `lastSeq`: the stream sequence the page is as of (GET /events?since= continues it) */
  page(
    limit: number,
    before?: number,
  ): Promise<{ tweets: TweetSummary[]; total: number; lastSeq: number }>;
  tweet(id: string): Promise<TweetDetail | undefined>;
  /** resolves once the timeline has read the stream up to `seq` (or after `ms`) */
  waitForSeq(seq: number, ms: number): Promise<void>;
  /** resolves once the timeline knows `id` (or after `ms`) */
  waitForTweet(id: string, ms: number): Promise<TweetDetail | undefined>;
  /** the like count of `id` once the like stored at `seq` is counted */
  likesAfter(id: string, seq: number): Promise<number>;
  /** the last stream sequence the timeline has read */
  readonly lastSeq: number;
}

/** How long serve's answers wait on the timeline. */
export interface ServeTiming {
  /** a write, for the timeline to read back what was stored (then it answers anyway) */
  readBackMs: number;
  /** a lookup, for a timeline behind the stream to catch up (then 503) */
  catchUpMs: number;
}

export const DEFAULT_TIMING: ServeTiming = { readBackMs: 2000, catchUpMs: 1000 };

export interface UseCaseDeps {
  stream: string;
  timeline: TimelineReads;
  publish: Publish;
  /** the event stored at `seq` (null: none, or not an event); a like's retry checks its body */
  storedEvent(seq: number): Promise<TweetEvent | null>;
  /** false while the NATS connection is down */
  connected(): boolean;
  /** the stream's last sequence now (a tweet the timeline lacks may be stored up to it) */
  streamLastSeq(): Promise<number>;
  timing: ServeTiming;
}

export interface StoredTweet {
  id: string;
  message: string;
  author: string;
  date: string;
  seq: number;
}

export interface StoredLike {
  id: string;
  author: string;
  date: string;
  seq: number;
  /** the tweet's like count once this like is counted */
  likes: number;
}

/** A write's result; `replayed`: stored before, by an earlier request with the same key. */
export interface Written<T> {
  value: T;
  replayed: boolean;
}

/** The Idempotency-Keys being published right now: a second request with one waits (409). */
class KeyGuard {
  private readonly pending = new Set<string>();

  async with<T>(key: string | undefined, work: () => Promise<T>): Promise<T> {
    if (key === undefined) return work();
    if (this.pending.has(key)) {
      throw new Failure(
        "in-progress",
        "a request with this Idempotency-Key is in progress; retry later",
      );
    }
    this.pending.add(key);
    try {
      return await work();
    } finally {
      this.pending.delete(key);
    }
  }
}

function storedTweet(t: StoredTweet): StoredTweet {
  return { id: t.id, message: t.message, author: t.author, date: t.date, seq: t.seq };
}

export type UseCases = ReturnType<typeof createUseCases>;

export function createUseCases(deps: UseCaseDeps) {
  const { timeline, timing } = deps;
  const keys = new KeyGuard();

  const publish = (event: TweetEvent, msgId?: string) =>
    deps.publish(event, msgId).catch((err: unknown) => {
      throw new Failure("not-stored", "not stored", { cause: err });
    });

  /** The replay of a tweet stored for this key: the same tweet, or 422. */
  function replayTweet(stored: TweetDetail, input: TweetInput): Written<StoredTweet> {
    if (stored.message !== input.message || stored.author !== input.author) {
      throw new Failure(
        "key-reused",
        "this Idempotency-Key was already used for a different tweet",
      );
    }
    return { value: storedTweet(stored), replayed: true };
  }

  /**
   * The tweet `id`, from the timeline; when the timeline lacks it, not found only once the timeline has
   * read the stream up to the last sequence it had when asked (nothing later could hold a
   * tweet the client already knew of). A view still behind (a failover, a rebuild) is
   * "unavailable": "not read yet" is never "no such tweet".
   */
  async function knownTweet(id: string): Promise<TweetDetail> {
    // the timeline reads what memory lacks from its bucket: NATS unreachable is "not known yet"
    const lookup = () =>
      timeline.tweet(id).catch((err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        throw new Failure("unavailable", `tweet ${id} could not be looked up (${why}); retry`, {
          cause: err,
        });
      });
    const known = await lookup();
    if (known) return known;
    const last = await deps.streamLastSeq().catch(() => undefined);
    if (last !== undefined) await timeline.waitForSeq(last, timing.catchUpMs);
    const found = await lookup();
    if (found) return found;
    if (last !== undefined && timeline.lastSeq >= last) {
      throw new Failure("not-found", `tweet ${id} not found`);
    }
    const where = last === undefined ? "the stream could not be asked" : `stream at ${last}`;
    throw new Failure(
      "unavailable",
      `tweet ${id} is not in the view yet (read up to ${timeline.lastSeq}, ${where}); retry`,
    );
  }

  return {
    /**
     * While NATS is down nothing can be stored: a write fails at once, before any look-up
     * in the timeline (which would wait for NATS) and before its body is read.
     */
    checkWritable(): void {
      if (!deps.connected()) {
        const cause = new CliError("not connected to NATS", ExitCode.Connection);
        throw new Failure("not-stored", "not stored", { cause });
      }
    },

    /**
     * Posts a tweet. With an Idempotency-Key, the tweet's id is the key's: a retry answers
     * what is stored (from the timeline, or JetStream's duplicate window), never a second tweet.
     */
    async postTweet(input: TweetInput, key?: string): Promise<Written<StoredTweet>> {
      const id = key === undefined ? undefined : tweetIdForKey(deps.stream, key);
      if (id !== undefined) {
        const known = await timeline.tweet(id);
        if (known) return replayTweet(known, input);
      }
      return keys.with(key, async () => {
        const event = buildTweet(id === undefined ? input : { ...input, id });
        const ack = await publish(event);
        if (id !== undefined && ack.duplicate) {
          // stored earlier by a retry of this key (maybe from another serve): answer what is stored
          const stored = await timeline.waitForTweet(id, timing.readBackMs);
          if (stored) return replayTweet(stored, input);
        } else {
          // read-your-write: the timeline has it before the client hears 201
          await timeline.waitForSeq(ack.seq, timing.readBackMs);
        }
        return {
          value: storedTweet({ ...event, seq: ack.seq }),
          replayed: id !== undefined && ack.duplicate,
        };
      });
    },

    /** Likes tweet `id` (known to the timeline); with an Idempotency-Key, once. */
    async likeTweet(id: string, author: string, key?: string): Promise<Written<StoredLike>> {
      // 404 only for an id the timeline, caught up with the stream, does not know
      await knownTweet(id);
      // tweets and likes share no key space: the same key may stand for one of each
      return keys.with(key === undefined ? undefined : `like\u0000${key}`, async () => {
        let event = buildLike({ tweetId: id, author });
        const msgId = key === undefined ? undefined : likeMessageIdForKey(deps.stream, key);
        const ack = await publish(event, msgId);
        if (ack.duplicate) {
          // stored earlier by a retry of this key (maybe through another serve): answer that like
          const stored = await deps.storedEvent(ack.seq).catch((err: unknown) => {
            throw new Failure(
              "unavailable",
              "stored, but it could not be read back to check the key; retry",
              { cause: err },
            );
          });
          if (
            stored &&
            (stored.messageType !== "tweet_liked" || stored.id !== id || stored.author !== author)
          ) {
            throw new Failure(
              "key-reused",
              "this Idempotency-Key was already used for a different like",
            );
          }
          if (stored) event = stored;
        }
        await timeline.waitForSeq(ack.seq, timing.readBackMs);
        const likes = await timeline.likesAfter(id, ack.seq);
        return {
          value: { id, author, date: event.date, seq: ack.seq, likes },
          replayed: ack.duplicate,
        };
      });
    },

    knownTweet,
  };
}
