// The burst policy shared by every writer of result streams (output/bursts.ts writeInBursts,
// nats/listen.ts): how large a burst grows, and how to tell "already arrived" from "still to come".

export const NOTHING_YET = Symbol("nothing yet");

/** Largest burst written at once. */
export const BURST_BYTES = 64 * 1024;
export const BURST_COUNT = 256;

/**
 * `next` if it is already settled (or settles while pending I/O callbacks run), else
 * NOTHING_YET: a message the client has received is queued by then.
 */
export function readyOrNot<T>(next: Promise<T>): Promise<T | typeof NOTHING_YET> {
  return Promise.race([
    next,
    new Promise<typeof NOTHING_YET>((resolve) => setImmediate(() => resolve(NOTHING_YET))),
  ]);
}
