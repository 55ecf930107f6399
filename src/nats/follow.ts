// Reading a stream from a sequence and then following it, in order, with nothing
// skipped or repeated: a reader consumer (no acks, in memory, one replica; owned by a
// ConsumerSession, src/nats/consumer-session.ts) read in pulls of `batch` messages, the
// next pull only once the callback (awaited) took the last one, so a slow callback slows
// the reading and nothing piles up in memory. The cursor moves only when the callback
// took a message. Messages the consumer delivered and we never got (a jump in the delivery
// sequence) are read from the stream. The consumer is recreated at the cursor at once
// after a reconnect (a pull stopped then keeps waiting on the server, taking messages
// nobody reads: never asked, so a consumer on the server just left as silent is not
// waited on), when a gap cannot be filled, when a pull fails, and when the session's
// probe (asked after a pull that brought nothing) answers anything but ok. (nats.js's ordered consumer moves its cursor when a message is
// buffered, and drops the buffer when it resets: with a slow callback that loses messages.)
// The consumers are named `<namePrefix><n>` (`r<k>` added when recreated), so an
// operator can tell whose they are;
// stop() deletes the current one and deleteConsumers() the rest on a clean stop.

import { toCliError } from "./errors.js";
import type { Connection } from "./connection.js";
import type { StoredMessage } from "../domain/stored-message.js";
import { steadyCreatePolicy } from "./reader-consumer.js";
import { onReconnect } from "./failover.js";
import { onStatus } from "./status.js";
import { ATTEMPT_MS, ConsumerSession, natsConsumerServer, type Pull } from "./consumer-session.js";

export interface FollowOptions {
  /** first stream sequence to read (default 1: the whole stream) */
  fromSeq?: number;
  /** the start of the consumers' names */
  namePrefix: string;
  /** messages per pull (default 512) */
  batch?: number;
  /** `pending`: messages stored after this one when it was delivered */
  onMessage(message: StoredMessage, pending: number): void | Promise<void>;
}

export interface Follower {
  /** resolves once every message stored before following began has been handed over */
  readonly caughtUp: Promise<void>;
  /** stops following; resolves when the loop has ended and the consumer is deleted */
  stop(): Promise<void>;
  /** rejects when reading fails for good (the loop ended without stop()) */
  readonly ended: Promise<void>;
}

/** Where the follower stands: handing over what was stored before it began, or live. */
export type ReadState = { kind: "catching-up"; lastSeq: number } | { kind: "live" };

export interface FollowerTiming {
  /** a pull waits this long for messages (short: heartbeats show a restarted server) */
  pullExpiresMs: number;
  /** the probe waits this long for the server's answer */
  probeMs: number;
  /** after a failed pull whose consumer still answers, before recreating it */
  retryPauseMs: number;
}

/** A gap longer than this (a batch lost, or a range deleted meanwhile) recreates the consumer. */
const MAX_GAP_FILL = 1024;

/** While a consumer is being created, the stream is asked for its next message this often. */
const BRIDGE_POLL_MS = 50;

const TIMING: FollowerTiming = { pullExpiresMs: 5000, probeMs: ATTEMPT_MS, retryPauseMs: 500 };

/** The reading loop over a ConsumerSession: its state as named fields, one transition each. */
export class StreamFollower {
  /** the next stream sequence to hand over */
  next: number;
  /** the consumer's delivery sequence of the last message taken (0: none from this one) */
  delivered = 0;
  reading: ReadState;
  /** the client reconnected during this pull: the consumer is recreated at its end */
  suspect = false;
  stopped = false;
  /** the pull being read */
  private pull: Pull | undefined;
  readonly caughtUp: Promise<void>;
  private markCaughtUp!: () => void;

  constructor(
    readonly session: ConsumerSession,
    private readonly opts: {
      fromSeq: number;
      /** the stream's last sequence and message count when following began */
      lastSeq: number;
      stored: number;
      batch: number;
      onMessage: FollowOptions["onMessage"];
      /** the error reading ends with when the stream is gone */
      fail(err: unknown): Error;
      timing?: FollowerTiming;
    },
  ) {
    this.next = opts.fromSeq;
    this.caughtUp = new Promise<void>((resolve) => (this.markCaughtUp = resolve));
    this.reading = { kind: "catching-up", lastSeq: opts.lastSeq };
    // nothing to read: past the end, or an empty stream that had messages (purged, aged out)
    if (opts.lastSeq < this.next || opts.stored === 0) this.becomeLive();
  }

  private get timing(): FollowerTiming {
    return this.opts.timing ?? TIMING;
  }

  /** The client reconnected: the pull in flight may outlive its reader on the server. */
  reconnected(): void {
    this.suspect = true;
    this.pull?.stop();
  }

  stop(): void {
    this.stopped = true;
    this.pull?.stop();
  }

  /** Reads until stop(); rejects when the stream is gone or the callback failed. */
  async run(): Promise<void> {
    while (!this.stopped) {
      if ((await this.turn()) && !this.stopped) await this.reopen();
    }
  }

  private becomeLive(): void {
    this.reading = { kind: "live" };
    this.markCaughtUp();
  }

  /** One pull and what it tells; true when the consumer must be recreated at the cursor. */
  private async turn(): Promise<boolean> {
    try {
      const { taken, gap } = await this.readPull();
      if (gap || this.stopped || (taken > 0 && !this.suspect)) return gap;
      // After a reconnect the pull stopped then may still wait on the server (until its
      // expiry) and take every other message into an inbox nobody reads: the last one
      // stored would be read by nobody until a later one showed the gap. A new consumer
      // at the cursor (the old one, and its request, removed) is exact; the stream is read
      // while it is made. A stream gone too: the create fails with the server's own error.
      if (this.suspect) return true;
      return (await this.session.probe(this.timing.probeMs)) !== "ok";
    } catch (err) {
      // the callback failed: the caller decides
      if (!isNatsError(err)) throw err;
      const probe = await this.session.probe(this.timing.probeMs);
      if (probe === "stream-gone") throw this.opts.fail(err);
      // a consumer that does not answer is recreated at once; otherwise not in a busy loop
      if (probe !== "silent") await sleep(this.timing.retryPauseMs);
      return true;
    }
  }

  private async readPull(): Promise<{ taken: number; gap: boolean }> {
    const handle = this.session.handle!;
    const pull = (this.pull = await handle.pull(this.opts.batch, this.timing.pullExpiresMs));
    if (this.stopped) pull.stop();
    let taken = 0;
    for await (const m of pull) {
      taken++;
      const { deliverySequence, pending } = m.info;
      if (deliverySequence !== this.delivered + 1 && !(await this.fillGap(m.seq, pending)))
        return { taken, gap: true };
      if (this.stopped) break;
      this.delivered = deliverySequence;
      // never twice: a gap's fill may have handed it over already
      if (m.seq >= this.next) await this.take(handle.stored(m), pending);
      if (this.stopped) break;
    }
    return { taken, gap: false };
  }

  private async take(message: StoredMessage, pending: number): Promise<void> {
    await this.opts.onMessage(message, pending);
    this.next = message.seq + 1;
    // pending 0 also covers a last message deleted since we looked
    if (
      this.reading.kind === "catching-up" &&
      (message.seq >= this.reading.lastSeq || pending === 0)
    )
      this.becomeLive();
  }

  /**
   * Messages the consumer delivered and we never got (lost in a reconnect), read one by one
   * from the stream up to `seq`: no new consumer needed (its create waits for the
   * cluster's meta leader, which may be the node that just went silent). False when it
   * cannot be done (a long gap, or no answer): the consumer is recreated at the cursor.
   */
  private async fillGap(seq: number, pending: number): Promise<boolean> {
    if (seq - this.next > MAX_GAP_FILL) return false;
    try {
      for (let at = this.next; at < seq && !this.stopped; at++) {
        const message = await this.session.stored(at, this.timing.probeMs);
        if (message) await this.take(message, pending + seq - at);
      }
      return true;
    } catch (err) {
      if (!isNatsError(err)) throw err;
      return false;
    }
  }

  /**
   * A new consumer at the cursor; meanwhile the stream is read message by message, so
   * writes are seen while the create waits (for the cluster's meta leader, or on a peer
   * that went silent). A failed create keeps the old consumer (the next probe finds it gone).
   */
  private async reopen(): Promise<void> {
    this.pull?.stop();
    this.suspect = false;
    this.delivered = 0;
    let settled = false;
    const opening = this.session.open(this.next).finally(() => (settled = true));
    opening.catch(() => undefined);
    await this.bridge(() => settled);
    try {
      await opening;
    } catch (err) {
      if ((await this.session.probe(this.timing.probeMs)) === "stream-gone")
        throw this.opts.fail(err);
    }
  }

  /** Hands over what the stream stores at the cursor, one by one, until `done()`. */
  private async bridge(done: () => boolean): Promise<void> {
    while (!done() && !this.stopped) {
      let message: StoredMessage | null = null;
      try {
        message = await this.session.stored(this.next, this.timing.probeMs);
      } catch (err) {
        // the callback failed: the caller decides
        if (!isNatsError(err)) throw err;
      }
      if (!message) {
        await sleep(BRIDGE_POLL_MS);
        continue;
      }
      // stored after it: as many as when following began while catching up, else none known
      const last = this.reading.kind === "catching-up" ? this.reading.lastSeq : message.seq;
      await this.take(message, Math.max(0, last - message.seq));
    }
  }
}

let followers = 0;

/** Follows `stream`; throws exit 4 when it does not exist, 3 when JetStream is unavailable. */
export async function followStream(
  conn: Connection,
  stream: string,
  opts: FollowOptions,
): Promise<Follower> {
  const jsm = await conn.jsm();
  const fail = (err: unknown) =>
    toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
  const fromSeq = Math.max(opts.fromSeq ?? 1, 1);
  let lastSeq: number;
  let stored: number;
  try {
    const state = (await jsm.streams.info(stream)).state;
    lastSeq = state.last_seq;
    stored = state.messages;
  } catch (err) {
    throw fail(err);
  }
  const server = natsConsumerServer(conn, stream, {
    config: {
      ack_policy: "none",
      mem_storage: true,
      num_replicas: 1,
      // removed by the server this long after its reader is gone (a killed serve)
      inactive_threshold: 30_000_000_000,
    },
  });
  // unique in this process: several followers may share a prefix (replays, pages)
  const session = ConsumerSession.reader(
    server,
    `${opts.namePrefix}${++followers}`,
    // a steady 2 s each: while a create waits, the stream is read from the cursor
    steadyCreatePolicy(conn.settings.timeoutMs),
  );
  await session.open(fromSeq).catch((err: unknown) => {
    throw fail(err);
  });
  const follower = new StreamFollower(session, {
    fromSeq,
    lastSeq,
    stored,
    batch: opts.batch ?? 512,
    onMessage: opts.onMessage,
    fail,
    timing: { ...TIMING, probeMs: Math.min(ATTEMPT_MS, conn.settings.timeoutMs) },
  });
  const unsubscribe = onReconnect(conn.nc, () => follower.reconnected());
  const loop = follower.run();
  void loop.then(unsubscribe, unsubscribe);
  const ended = loop.then(() => {
    if (!follower.stopped) throw new Error(`reading stream ${stream} ended`);
  });
  // a failure before the caller looked must not be an unhandled rejection
  ended.catch(() => undefined);
  return {
    caughtUp: follower.caughtUp,
    ended,
    async stop() {
      follower.stop();
      await loop.catch(() => undefined);
      // do not leave it to the inactivity timeout: `consumer ls` stays tidy
      await session.close();
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// where they were: serve imports them from here
export { checkConsumerCreate, deleteConsumers } from "./consumer-session.js";

function isNatsError(err: unknown): boolean {
  return typeof (err as { code?: unknown } | undefined)?.code === "string";
}

/** Connection state as a long-running command needs it: connected now or not. */
export interface ConnectionWatch {
  connected(): boolean;
  stop(): void;
}

/** `onChange` is called on each transition (true: connected again). */
export function watchConnection(
  conn: Connection,
  onChange: (connected: boolean) => void = () => {},
): ConnectionWatch {
  let connected = !conn.nc.isClosed();
  const stop = onStatus(conn.nc, (s) => {
    const was = connected;
    if (s.type === "disconnect" || s.type === "staleConnection") connected = false;
    else if (s.type === "reconnect") connected = true;
    if (was !== connected) onChange(connected);
  });
  return {
    connected: () => connected && !conn.nc.isClosed(),
    stop,
  };
}

/** The stream's state, or a CliError (4 when it is gone, 3 when JetStream does not answer). */
export async function streamState(
  conn: Connection,
  stream: string,
): Promise<{
  first_seq: number;
  last_seq: number;
  messages: number;
  created: string;
  replicas: number;
  /** the replicas online now (the leader and the followers not offline) */
  online: number;
}> {
  try {
    const si = await (await conn.jsm()).streams.info(stream);
    return {
      first_seq: si.state.first_seq,
      last_seq: si.state.last_seq,
      messages: si.state.messages,
      created: si.created,
      replicas: si.config.num_replicas ?? 1,
      online: si.cluster?.leader
        ? 1 + (si.cluster.replicas ?? []).filter((r) => !r.offline).length
        : (si.config.num_replicas ?? 1),
    };
  } catch (err) {
    throw toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
  }
}
