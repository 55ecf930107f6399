// `consumer wait`: polls a consumer's state until it has caught up (nothing pending,
// nothing awaiting an ack) or its ack floor reached a stream sequence, within a deadline.
// Polling, not advisories: the state is what the server says now, and a poll cannot
// miss an event the way a subscription started late can.

import type { ConsumerInfo, JetStreamManager } from "nats";
import { sleep } from "../util/time.js";
import { getConsumer } from "./consumers.js";
import { POLL_MS } from "./timing.js";

export interface WaitOptions {
  stream: string;
  name: string;
  /** undefined: wait as long as it takes */
  timeoutMs?: number;
  /** wait until the ack floor reaches this stream sequence instead */
  seq?: number;
}

export interface WaitResult {
  caughtUp: boolean;
  /** the last state seen */
  info: ConsumerInfo;
  waitedMs: number;
}

/** Whether `info` is where `consumer wait` stops. */
export function hasCaughtUp(info: ConsumerInfo, seq?: number): boolean {
  if (seq !== undefined) return info.ack_floor.stream_seq >= seq;
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

export async function waitForConsumer(
  jsm: JetStreamManager,
  opts: WaitOptions,
  stopped: () => boolean = () => false,
): Promise<WaitResult> {
  const start = Date.now();
  const deadline = opts.timeoutMs === undefined ? Infinity : start + opts.timeoutMs;
  for (;;) {
    const info = await getConsumer(jsm, opts.stream, opts.name);
    const waitedMs = Date.now() - start;
    if (hasCaughtUp(info, opts.seq)) return { caughtUp: true, info, waitedMs };
    if (Date.now() >= deadline || stopped()) return { caughtUp: false, info, waitedMs };
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}
