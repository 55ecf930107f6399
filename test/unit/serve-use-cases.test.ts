// serve's use-cases (src/serve/use-cases.ts) without HTTP: what a retry with an
// Idempotency-Key answers when JetStream says "duplicate" but the timeline has not read it yet,
// what a like's retry answers when its stored body cannot be read back, and that a key is
// free again after a failed publish. Failures are typed (kind and cause), not statuses.

import { describe, expect, it } from "vitest";
import { CliError, ExitCode } from "../../src/errors.js";
import type { TweetEvent } from "../../src/events.js";
import { Failure } from "../../src/serve/failure.js";
import {
  createUseCases,
  DEFAULT_TIMING,
  type UseCaseDeps,
  type TimelineReads,
} from "../../src/serve/use-cases.js";
import type { TweetDetail } from "../../src/serve/timeline/model.js";

const detail = (over: Partial<TweetDetail> = {}): TweetDetail => ({
  id: "t",
  message: "hello",
  author: "ann",
  date: "2026-01-01T00:00:00.000Z",
  seq: 1,
  likes: 0,
  liked_by: [],
  ...over,
});

function timeline(over: Partial<TimelineReads> = {}): TimelineReads {
  return {
    lastSeq: 0,
    page: async () => ({ tweets: [], total: 0, lastSeq: 0 }),
    tweet: async () => undefined,
    waitForSeq: async () => undefined,
    waitForTweet: async () => undefined,
    likesAfter: async () => 0,
    ...over,
  };
}

function useCases(over: Partial<UseCaseDeps> = {}) {
  return createUseCases({
    stream: "S",
    timeline: timeline(),
    publish: async () => ({ seq: 1, duplicate: false }),
    storedEvent: async () => null,
    connected: () => true,
    streamLastSeq: async () => 0,
    timing: DEFAULT_TIMING,
    ...over,
  });
}

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as Failure,
  );

describe("serve's use-cases", () => {
  it("a duplicate the timeline has not read yet is waited for, within the read-back time, and replayed", async () => {
    const waited: number[] = [];
    const use = useCases({
      publish: async () => ({ seq: 7, duplicate: true }),
      timeline: timeline({
        waitForTweet: async (id, ms) => {
          waited.push(ms);
          return detail({ id, seq: 7 });
        },
      }),
      timing: { readBackMs: 1234, catchUpMs: 1 },
    });
    const w = await use.postTweet({ message: "hello", author: "ann" }, "k");
    expect(w.replayed).toBe(true);
    expect(w.value).toMatchObject({ message: "hello", seq: 7 });
    expect(waited).toEqual([1234]);
  });

  it("a tweet without a key waits for its read-back with the timing given, and is never a replay", async () => {
    const waited: Array<[number, number]> = [];
    const use = useCases({
      publish: async () => ({ seq: 3, duplicate: false }),
      timeline: timeline({ waitForSeq: async (seq, ms) => void waited.push([seq, ms]) }),
      timing: { readBackMs: 4321, catchUpMs: 1 },
    });
    const w = await use.postTweet({ message: "m", author: "a" });
    expect([w.replayed, w.value.seq]).toEqual([false, 3]);
    expect(waited).toEqual([[3, 4321]]);
  });

  it("a like's retry whose stored like cannot be read back is 'unavailable', with the cause", async () => {
    const cause = new CliError("timed out", ExitCode.Timeout);
    const use = useCases({
      timeline: timeline({ tweet: async (id) => detail({ id }) }),
      publish: async () => ({ seq: 9, duplicate: true }),
      storedEvent: () => Promise.reject(cause),
    });
    const err = await failureOf(use.likeTweet("t", "bob", "k"));
    expect(err).toBeInstanceOf(Failure);
    expect([err!.kind, err!.message, err!.cause]).toEqual([
      "unavailable",
      "stored, but it could not be read back to check the key; retry",
      cause,
    ]);
  });

  it("a like's retry answers the like stored first (its date), not the new one", async () => {
    const first: TweetEvent = {
      messageType: "tweet_liked",
      id: "t",
      author: "bob",
      date: "2020-02-02T00:00:00Z",
      message: "",
    };
    const use = useCases({
      timeline: timeline({ tweet: async (id) => detail({ id }), likesAfter: async () => 1 }),
      publish: async () => ({ seq: 2, duplicate: true }),
      storedEvent: async () => first,
    });
    const w = await use.likeTweet("t", "bob", "k");
    expect(w).toEqual({
      value: { id: "t", author: "bob", date: first.date, seq: 2, likes: 1 },
      replayed: true,
    });
  });

  it("a publish failure is 'not-stored' with the CliError as its cause, and frees the key", async () => {
    const cause = new CliError("stream S is full", ExitCode.Conflict);
    let fail = true;
    const use = useCases({
      publish: async () => {
        if (fail) throw cause;
        return { seq: 1, duplicate: false };
      },
    });
    const err = await failureOf(use.postTweet({ message: "m", author: "a" }, "k"));
    expect([err!.kind, err!.cause]).toEqual(["not-stored", cause]);
    fail = false;
    expect((await use.postTweet({ message: "m", author: "a" }, "k")).replayed).toBe(false);
  });

  it("a write while disconnected fails at once as 'not-stored', before anything is asked", () => {
    const use = useCases({ connected: () => false });
    let err: unknown;
    try {
      use.checkWritable();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Failure);
    expect((err as Failure).kind).toBe("not-stored");
    expect(((err as Failure).cause as CliError).exitCode).toBe(ExitCode.Connection);
  });

  it("a tweet the timeline lacks: 'not-found' once caught up, 'unavailable' while behind", async () => {
    const caughtUp = useCases({ timeline: timeline({ lastSeq: 5 }), streamLastSeq: async () => 5 });
    expect((await failureOf(caughtUp.knownTweet("x")))!.kind).toBe("not-found");
    const behind = useCases({ timeline: timeline({ lastSeq: 4 }), streamLastSeq: async () => 5 });
    const err = await failureOf(behind.knownTweet("x"));
    expect([err!.kind, err!.message]).toEqual([
      "unavailable",
      "tweet x is not in the view yet (read up to 4, stream at 5); retry",
    ]);
  });
});
