// listen's acknowledgements, confirmed: every ack is sent as a request and counts only
// once the consumer leader answered it. What this run wrote is remembered (by stream
// sequence, with its ack subject) until the server's ack floor has passed it under the
// same consumer leader for a while, so that:
//   - a redelivery of something already written is acked again, not printed twice;
//   - after a consumer leader change (a cluster node lost) every remembered ack above the
//     new leader's ack floor is sent again, since the old leader may have confirmed acks
//     it never replicated;
//   - at the end of a run nothing is reported before every ack is confirmed, or counted
//     as unconfirmed once the retry budget ran out.
// Memory: only the acks above the floor (a few seconds' worth) are kept.

import type { ConsumerInfo, JetStreamManager, NatsConnection } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { natsErrorCode } from "./errors.js";
import { sleep } from "../util/time.js";

const ACK = new TextEncoder().encode("+ACK");
/** Most ack runs awaiting their confirmation at once; more makes the writer wait. */
const MAX_IN_FLIGHT = 64;
/** Acks re-sent together, confirmed by one request. */
const RESEND_RUN = 256;
/** How often the consumer's state (leader, ack floor) is checked while listening. */
const CHECK_MS = 2_000;
/** Checked sooner when this many acks are remembered. */
const CHECK_ENTRIES = 20_000;
const RETRY_DELAY_MS = 250;

export interface AckLedgerOptions {
  stream: string;
  /** the consumer's current name (an ephemeral one can be recreated) */
  consumer(): string;
  /** per-request timeout */
  timeoutMs: number;
  /** how long the end of a run may keep re-sending unconfirmed acks */
  budgetMs: number;
  /** the consumer as listen found or created it: the first leader and ack floor */
  initial: ConsumerInfo;
  warn(text: string): void;
}

/** What the ledger reads of a message: its stream sequence, whether it is a redelivery, its ack subject. */
export interface AckableMessage {
  info: { streamSequence: number; redelivered: boolean };
  /** the ack subject ($JS.ACK.…) */
  reply: string;
}

export interface AckLedger {
  /** true when this message must not be printed: written earlier in this run, or at/below the ack floor */
  alreadyWritten(m: AckableMessage): boolean;
  /** acknowledges again a redelivery of something already written (not printed again) */
  ackAgain(m: AckableMessage): void;
  /** acknowledges written messages (confirmed in the background; waits when too many are unanswered) */
  acknowledge(msgs: AckableMessage[]): Promise<void>;
  /** end of a run: every ack confirmed, or the number that could not be */
  settle(): Promise<number>;
}

/** Permission to acknowledge was refused: nothing more can be acked in this run. */
export function ackDeniedError(stream: string, unacked: number, cause: unknown): CliError {
  return new CliError(
    `permission denied: acknowledgements on stream ${stream} are refused by the server (publish to $JS.ACK.${stream}.> is denied); ` +
      `${unacked} written ${unacked === 1 ? "event was" : "events were"} not acknowledged and will be delivered again`,
    ExitCode.Connection,
    { cause },
  );
}

export function createAckLedger(
  nc: NatsConnection,
  jsm: JetStreamManager,
  opts: AckLedgerOptions,
): AckLedger {
  /** written in this run, not yet known to be safely past the ack floor: seq → ack subject */
  const written = new Map<number, string>();
  /** acks whose confirmation failed (no leader, timeout): seq → ack subject */
  const unconfirmed = new Map<number, string>();
  const inFlight = new Set<Promise<void>>();
  let denied: unknown;
  /** highest ack floor any leader reported: a redelivery at or below it was processed before */
  let highestFloor = opts.initial.ack_floor.stream_seq;
  /** the leader and floor of the last successful check */
  let last = {
    leader: opts.initial.cluster?.leader ?? "",
    floor: opts.initial.ack_floor.stream_seq,
  };
  let lastCheck = Date.now();

  /**
   * Acks a run of messages: plain acks, then the last one as a request. The consumer
   * leader handles one connection's acks in order, so its answer to the last confirms the
   * run (a leader change in between is caught by check()). One request per burst, not
   * per message.
   */
  const send = (entries: Array<[number, string]>): Promise<void> => {
    const lastEntry = entries[entries.length - 1];
    if (!lastEntry) return Promise.resolve();
    for (let i = 0; i < entries.length - 1; i++) nc.publish(entries[i]![1], ACK);
    const p = nc.request(lastEntry[1], ACK, { timeout: opts.timeoutMs }).then(
      () => {
        for (const [seq] of entries) unconfirmed.delete(seq);
      },
      (err: unknown) => {
        if (natsErrorCode(err) === "PERMISSIONS_VIOLATION") denied ??= err;
        for (const [seq, subject] of entries) unconfirmed.set(seq, subject);
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  const throwIfDenied = () => {
    if (denied !== undefined) throw ackDeniedError(opts.stream, unconfirmed.size, denied);
  };

  const info = async (): Promise<ConsumerInfo | undefined> => {
    try {
      return await jsm.consumers.info(opts.stream, opts.consumer());
    } catch {
      return undefined; // an election or a lost connection: asked again later
    }
  };

  /** re-sends the given acks (confirmed), in runs of at most a burst */
  const resend = async (entries: Array<[number, string]>) => {
    const runs: Promise<void>[] = [];
    for (let i = 0; i < entries.length; i += RESEND_RUN) {
      runs.push(send(entries.slice(i, i + RESEND_RUN)));
      if (runs.length >= MAX_IN_FLIGHT) await Promise.all(runs.splice(0));
    }
    await Promise.all(runs);
  };

  const above = (floor: number) => [...written].filter(([seq]) => seq > floor);

  /**
   * A floor lower than the last one seen: a consumer leader confirmed acks that did not
   * survive (an isolated leader under a partition, seen on nats-server 2.9). What is still
   * remembered is acked again; what was already past the floor may come back, named here.
   */
  const floorSeen = (floor: number, leader: string) => {
    if (floor < last.floor) {
      const range = floor + 1 === highestFloor ? `${highestFloor}` : `${floor + 1}–${highestFloor}`;
      opts.warn(
        `the ack floor of consumer ${opts.consumer()} went back from ${highestFloor} to ${floor} ` +
          `(leader ${last.leader || "?"} → ${leader || "?"}): stream sequences ${range}, ` +
          "acknowledged in this run, may be delivered again",
      );
    }
    highestFloor = Math.max(highestFloor, floor);
  };

  /** now and then while listening: prune, and re-ack after a consumer leader change */
  const check = async () => {
    if (Date.now() - lastCheck < CHECK_MS && written.size < CHECK_ENTRIES) return;
    lastCheck = Date.now();
    const ci = await info();
    if (!ci) return;
    const leader = ci.cluster?.leader ?? "";
    const floor = ci.ack_floor.stream_seq;
    floorSeen(floor, leader);
    if (last.leader !== leader) {
      // a new consumer leader: it may not have recorded what the old one confirmed
      const lost = above(floor);
      if (lost.length > 0) {
        opts.warn(
          `consumer leader changed (${last.leader || "?"} → ${leader || "?"}): acknowledging ${lost.length} written ${lost.length === 1 ? "event" : "events"} again`,
        );
        await resend(lost);
      }
      for (const seq of written.keys()) if (seq <= floor) written.delete(seq);
    } else {
      // the floor of the previous check, still under the same leader, is replicated
      for (const seq of written.keys()) if (seq <= last.floor) written.delete(seq);
    }
    last = { leader, floor };
    if (unconfirmed.size > 0) await resend([...unconfirmed]);
    throwIfDenied();
  };

  return {
    alreadyWritten(m) {
      const seq = m.info.streamSequence;
      return written.has(seq) || (m.info.redelivered && seq <= highestFloor);
    },

    async acknowledge(msgs) {
      const entries = msgs.map((m): [number, string] => [m.info.streamSequence, m.reply]);
      for (const [seq, subject] of entries) written.set(seq, subject);
      void send(entries);
      if (inFlight.size > MAX_IN_FLIGHT) await Promise.race(inFlight);
      throwIfDenied();
      await check();
    },

    ackAgain(m) {
      written.set(m.info.streamSequence, m.reply);
      void send([[m.info.streamSequence, m.reply]]);
    },

    async settle() {
      await Promise.all(inFlight);
      throwIfDenied();
      const deadline = Date.now() + opts.budgetMs;
      for (;;) {
        const before = last;
        const ci = await info();
        if (ci) {
          const leader = ci.cluster?.leader ?? "";
          const floor = ci.ack_floor.stream_seq;
          floorSeen(floor, leader);
          // after a leader change, everything above its floor; else what failed
          const again = before.leader !== leader ? above(floor) : [...unconfirmed];
          last = { leader, floor };
          if (again.length === 0 && unconfirmed.size === 0) return 0;
          await resend(again.length > 0 ? again : [...unconfirmed]);
          throwIfDenied();
          if (unconfirmed.size === 0) {
            if (before.leader !== leader) continue; // verify under the same leader
            return 0;
          }
        }
        if (Date.now() >= deadline) return unconfirmed.size;
        await sleep(RETRY_DELAY_MS);
      }
    },
  };
}
