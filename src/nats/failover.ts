// Moving to another node quickly when the one we are connected to stops answering
// (src/nats/stale.ts notices it). Two parts, both through nats.js's public API:
//
// - The order of reconnect attempts. nats.js tries its server list in turn, and the first
//   reconnect after the first connection starts with the server it was connected to: a
//   paused or cut-off node that still accepts TCP then holds the attempt for the whole
//   connect timeout before the next node is tried. nats.js skips a server whose last
//   dial is younger than the reconnect wait (sleeping until it is old enough), and asks
//   for that wait just before each dial. So the time of the call that preceded the
//   connection we have is (to the millisecond) our node's last dial; for a short while
//   after we leave a stuck node, the wait returned is that node's age plus SKIP_MARGIN_MS:
//   it is skipped after a sleep of about that margin, while the others (never dialed, or
//   dialed more than the margin before it) are tried at once. After the window, the usual
//   wait. nats.js reads its clock again after asking for the wait; the margin is there
//   because the process may stall in between (descheduled on a busy machine): with a 1 ms
//   margin, a 1 ms stall dialed the stuck node first and held the failover for the whole
//   connect timeout (6.65 s once in CI; test/integration/reconnect-order.test.ts).
//
// - Publishes waiting for an ack on the old node. Their message went to a socket nobody
//   reads; the ack never comes. On each reconnect they are told to try again at once (same
//   message id: JetStream stores it once) instead of waiting out their timeout.

import type { NatsConnection } from "nats";
import { onStatus } from "./status.js";

export interface ReconnectOrder {
  /** nats.js's reconnectDelayHandler: the wait before a server may be dialed again
   *  (called just before each dial, for the server then selected) */
  delay(): number;
  /** connected (first connection or a reconnect) by the latest dial */
  connected(): void;
  /** leaving the current server on purpose: skip it for `windowMs` */
  leaving(windowMs: number, now?: number): void;
}

/**
 * How much later than our clock read nats.js may read its own and still skip the server
 * left; also about how long it sleeps before dialing the next one.
 */
export const SKIP_MARGIN_MS = 100;

/**
 * `baseWaitMs` + up to `jitterMs` normally (nats.js's own default rule); while leaving a
 * server, a wait that skips it (nats.js reading its clock up to `marginMs` after ours) and
 * no server dialed more than `marginMs` before it.
 */
export function reconnectOrder(
  baseWaitMs: number,
  jitterMs: number,
  clock: () => number = Date.now,
  marginMs = SKIP_MARGIN_MS,
): ReconnectOrder {
  /** the last call of delay(): just before the latest dial */
  let lastCall = clock();
  /** when the server we are connected to was dialed */
  let dialedAt = lastCall;
  let avoidUntil = 0;
  return {
    delay() {
      const now = (lastCall = clock());
      if (now < avoidUntil) return now - dialedAt + marginMs;
      return baseWaitMs + Math.floor(Math.random() * (jitterMs + 1));
    },
    connected() {
      dialedAt = lastCall;
      avoidUntil = 0;
    },
    leaving(windowMs, now = clock()) {
      avoidUntil = now + windowMs;
    },
  };
}

/** The server each connection last left because it stopped answering, and when. */
const leftServers = new WeakMap<NatsConnection, { server: string; at: number }>();

/** Records that `nc` is leaving `server` because it stopped answering. */
export function markLeft(nc: NatsConnection, server: string | undefined, now = Date.now()): void {
  if (server) leftServers.set(nc, { server, at: now });
}

/**
 * The server `nc` left in the last `withinMs` because it stopped answering: what lives
 * only there (a one-replica consumer) is not asked for, and not waited on, meanwhile.
 */
export function leftRecently(
  nc: NatsConnection,
  withinMs: number,
  now = Date.now(),
): string | undefined {
  const left = leftServers.get(nc);
  return left && now - left.at < withinMs ? left.server : undefined;
}

type Listener = () => void;
const movedListeners = new WeakMap<NatsConnection, Set<Listener>>();

/** Calls `listener` at each reconnect of `nc` until the returned function is called. */
export function onReconnect(nc: NatsConnection, listener: Listener): () => void {
  let set = movedListeners.get(nc);
  if (!set) {
    const listeners = (set = new Set());
    movedListeners.set(nc, listeners);
    // one watch for the connection's life (nats.js ends it when the connection closes)
    onStatus(nc, (s) => {
      if (s.type === "reconnect") for (const l of [...listeners]) l();
    });
  }
  set.add(listener);
  const listeners = set;
  return () => void listeners.delete(listener);
}

/** A transient "timeout" (src/nats/errors.ts): the ack is awaited again on the new node. */
export function movedError(): Error {
  return Object.assign(new Error("the connection moved to another server before the ack"), {
    code: "TIMEOUT",
  });
}

/**
 * `attempt` (a request on `nc`), or a transient timeout as soon as `nc` reconnects: what
 * was sent to the old server may never be answered.
 */
export function untilReconnect<T>(nc: NatsConnection | undefined, attempt: Promise<T>): Promise<T> {
  if (!nc) return attempt;
  let stop: () => void = () => undefined;
  const moved = new Promise<never>((_, reject) => {
    stop = onReconnect(nc, () => reject(movedError()));
  });
  return Promise.race([attempt, moved]).finally(stop);
}
