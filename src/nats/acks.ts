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
// Memory: only the acks above the floor (a few seconds' worth) are kept. The requests are
// answered on the run's own inbox (listen-confirmations.ts).

import type { ConsumerInfo, JetStreamManager, NatsConnection } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { natsErrorCode } from "./errors.js";
import type { Confirmations } from "./listen-confirmations.js";
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
  /** where a burst's last ack is sent as a request, and answered (listen-confirmations.ts);
   *  closed with the ledger */
  confirmations: Confirmations;
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
  /** nothing more will be sent: confirmations still awaited fail (their acks count as unconfirmed) */
  close(): void;
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

/**
 * The stream sequences written, each with its ack subject, in ascending order: appended as
 * they are written (a backlog comes in order), put in place otherwise (a redelivery), and
 * dropped from the front as the ack floor passes them. Arrays, not a Map: the written
 * message's check and entry cost a comparison and a push.
 */
class WrittenAcks {
  private seqs: number[] = [];
  private subjects: string[] = [];
  private head = 0;

  get size(): number {
    return this.seqs.length - this.head;
  }

  /** index of the first remembered sequence ≥ seq (the length when none is) */
  private find(seq: number): number {
    let lo = this.head;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(seq: number): boolean {
    const last = this.seqs.length - 1;
    if (last < this.head || seq > this.seqs[last]! || seq < this.seqs[this.head]!) return false;
    return this.seqs[this.find(seq)] === seq;
  }

  set(seq: number, subject: string): void {
    const last = this.seqs.length - 1;
    if (last < this.head || seq > this.seqs[last]!) {
      this.seqs.push(seq);
      this.subjects.push(subject);
      return;
    }
    const i = this.find(seq);
    if (this.seqs[i] === seq) this.subjects[i] = subject;
    else {
      this.seqs.splice(i, 0, seq);
      this.subjects.splice(i, 0, subject);
    }
  }

  /** forgets every sequence ≤ floor */
  dropUpTo(floor: number): void {
    this.head = this.find(floor + 1);
    if (this.head === this.seqs.length) {
      this.seqs = [];
      this.subjects = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.subjects = this.subjects.slice(this.head);
      this.head = 0;
    }
  }

  /** the sequences above floor, with their ack subjects */
  above(floor: number): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    for (let i = this.find(floor + 1); i < this.seqs.length; i++)
      out.push([this.seqs[i]!, this.subjects[i]!]);
    return out;
  }
}

export function createAckLedger(
  nc: NatsConnection,
  jsm: JetStreamManager,
  opts: AckLedgerOptions,
): AckLedger {
  /** written in this run, not yet known to be safely past the ack floor, with their ack subjects */
  const written = new WrittenAcks();
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
  const send = (seqs: number[], subjects: string[]): Promise<void> => {
    const last = subjects.length - 1;
    if (last < 0) return Promise.resolve();
    for (let i = 0; i < last; i++) nc.publish(subjects[i]!, ACK);
    const p = opts.confirmations.request(subjects[last]!, ACK).then(
      () => {
        if (unconfirmed.size > 0) for (const seq of seqs) unconfirmed.delete(seq);
      },
      (err: unknown) => {
        if (natsErrorCode(err) === "PERMISSIONS_VIOLATION") denied ??= err;
        for (let i = 0; i < seqs.length; i++) unconfirmed.set(seqs[i]!, subjects[i]!);
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
      const run = entries.slice(i, i + RESEND_RUN);
      runs.push(
        send(
          run.map(([seq]) => seq),
          run.map(([, subject]) => subject),
        ),
      );
      if (runs.length >= MAX_IN_FLIGHT) await Promise.all(runs.splice(0));
    }
    await Promise.all(runs);
  };

  const above = (floor: number) => written.above(floor);

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
      written.dropUpTo(floor);
    } else {
      // the floor of the previous check, still under the same leader, is replicated
      written.dropUpTo(last.floor);
    }
    last = { leader, floor };
    if (unconfirmed.size > 0) await resend([...unconfirmed]);
  };
  /** the check running, if one is: in the background, never waited for by the writer */
  let checking: Promise<void> | null = null;
  const checkNowAndThen = () => {
    if (checking || (Date.now() - lastCheck < CHECK_MS && written.size < CHECK_ENTRIES)) return;
    // nothing in it rejects (info() and send() catch): what it finds is acted on in it,
    // a refusal is thrown by the next acknowledge()
    checking = check().finally(() => (checking = null));
  };

  return {
    alreadyWritten(m) {
      const seq = m.info.streamSequence;
      return written.has(seq) || (m.info.redelivered && seq <= highestFloor);
    },

    async acknowledge(msgs) {
      const seqs: number[] = new Array<number>(msgs.length);
      const subjects: string[] = new Array<string>(msgs.length);
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i]!;
        seqs[i] = m.info.streamSequence;
        subjects[i] = m.reply;
        written.set(seqs[i]!, subjects[i]!);
      }
      void send(seqs, subjects);
      if (inFlight.size > MAX_IN_FLIGHT) await Promise.race(inFlight);
      throwIfDenied();
      // a round trip to the server: the writer goes on meanwhile (it cost 10 of them, 20-30
      // ms, per 100 000 events through a backlog)
      checkNowAndThen();
    },

    ackAgain(m) {
      written.set(m.info.streamSequence, m.reply);
      void send([m.info.streamSequence], [m.reply]);
    },

    async settle() {
      await checking;
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

    close() {
      opts.confirmations.close();
    },
  };
}
