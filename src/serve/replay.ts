// GET /events with Last-Event-ID or ?since=N: the events after N, read from the stream
// itself (so nothing is skipped however far back N is), paced by the client (the next
// message is read once the last one was taken by the socket), then the client joins the
// live ones. Every replay is its own short-lived reader consumer; other requests are
// never starved, because nothing is read faster than a client takes it.

import type { ServerResponse } from "node:http";
import type { TweetEvent } from "../events.js";
import type { Follower } from "../nats/follow.js";
import type { StoredMessage } from "../domain/stored-message.js";
import { frame, type SseHub } from "./sse.js";

export interface ReplayDeps {
  hub: SseHub;
  /** follows the stream from `fromSeq` (a reader consumer of this instance, src/nats/follow.ts) */
  follow(
    fromSeq: number,
    onMessage: (m: StoredMessage, pending: number) => void | Promise<void>,
  ): Promise<Follower>;
  eventOf(m: StoredMessage): TweetEvent | null;
}

/**
 * At most `n` of `fn` running at once: many replays starting together create their
 * consumers a few at a time, so other JetStream requests (/healthz) are not queued
 * behind hundreds of consumer creations.
 */
export function limited<A extends unknown[], T>(
  n: number,
  fn: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  let running = 0;
  const queue: Array<() => void> = [];
  return async (...args: A) => {
    if (running >= n) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await fn(...args);
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

/** Resolves once `res` can take more (or is gone). */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Opens the event stream on `res`: the events after `since` (if given), then live ones. */
export async function streamEvents(
  res: ServerResponse,
  since: number | undefined,
  deps: ReplayDeps,
): Promise<void> {
  const { hub } = deps;
  hub.begin(res);
  if (since === undefined || since >= hub.lastSeq) {
    hub.attach(res, since ?? hub.lastSeq);
    return;
  }
  let sent = since;
  let finished = false;
  let follower: Follower | undefined;
  const finish = (live: boolean) => {
    if (finished) return;
    finished = true;
    if (live) hub.attach(res, sent);
    void follower?.stop();
  };
  res.on("close", () => finish(false));
  follower = await deps.follow(since + 1, async (m, pending) => {
    if (finished) return;
    const event = deps.eventOf(m);
    if (event && !res.write(frame({ ...event, seq: m.seq }))) await writable(res);
    sent = m.seq;
    // caught up with what live clients get: switch over in the same tick, nothing in between
    if (m.seq >= hub.lastSeq || pending === 0) finish(!res.destroyed);
  });
  if (finished) void follower.stop();
  // replayed what was stored (or nothing was left after `since`): live from here
  void follower.caughtUp.then(() => finish(!res.destroyed));
}
