// One consumer of a stream as its reader sees it: its name, its handle, where it lives,
// "recreate it where I stopped", and the one probe that says what became of it (serve's
// follower, view's read and listen ask this probe, and no other). Readers hold their
// cursor; the session holds the consumer. Two modes (SessionMode):
//
// - "reader": a reader consumer the session makes (serve's follower, view). open(from)
//   creates `<prefix>` (then `<prefix>r1`, `r2` … on each recreate) at the cursor, the
//   previous one deleted best-effort. One create attempt that gets no answer in its
//   attempt time is made again under a fresh name (nats-server may place a one-replica
//   consumer on a peer that is down or silent, and asking again under the same name asks
//   the same peer), within the retry budget: both are the policy passed in. The newest
//   open wins: a consumer made for an open given up on (openWithin's limit passed, a
//   newer open, close) is removed, never read.
// - "observed": a consumer its owner makes: listen's durable is the user's, never
//   recreated under another name nor removed here (recreating it would restart it from
//   its deliver policy); listen's ephemeral is named by the server and made again by
//   listen with its acks (listen-session.ts), which names the replacement (adopt). The
//   session only probes it.
//
// probe() answers "ok", "consumer-gone" (the server says so, the stream is there),
// "stream-gone" (the stream's own info says so: a consumer's info answering "stream not
// found" is asked again of the stream, retried, before a reader ends for good) or "silent"
// (no answer in one attempt, or the consumer lives on the server the client just left
// because it stopped answering: not asked, not waited on). A user who may not ask about
// consumers gets "ok": nothing to go on, nothing to recreate.
//
// The server side is an interface (ConsumerServer): nats.js in natsConsumerServer(),
// a scripted in-memory fake in the unit tests.
// Also here: checkConsumerCreate (may this user create readers' consumers at all) and
// deleteConsumers (a clean stop removes a reader's leftovers by name prefix).

import type { JetStreamManager, JsMsg } from "nats";
import type { StoredMessage } from "../domain/stored-message.js";
import type { Connection } from "./connection.js";
import { JsErr, jsErrorCode, natsErrorCode, toCliError } from "./errors.js";
import { leftRecently } from "./failover.js";
import {
  addReaderConsumer,
  ATTEMPT_MS,
  attemptManager,
  createUnderFreshNames,
  type CreatePolicy,
} from "./reader-consumer.js";

import { consumerConfig, toStoredMessage, type StartPoint } from "./messages.js";
import { CliError, ExitCode } from "../errors.js";

export type { CreatePolicy };

export type Probe = "ok" | "consumer-gone" | "stream-gone" | "silent";

/** One message as a reader takes it: what it reads of nats.js's JsMsg (no copy per message). */
export interface ReadMessage {
  seq: number;
  info: {
    /** the consumer's delivery sequence (1, 2, … for one consumer: a jump is a gap) */
    deliverySequence: number;
    /** messages stored after this one when it was delivered */
    pending: number;
  };
}

/** One pull: its messages, and stop() to end it early (nats.js's ConsumerMessages is one). */
export interface Pull extends AsyncIterable<ReadMessage> {
  stop(): void;
}

/** A read kept going by the client (nats.js's consume(): pulls refilled, idle heartbeats). */
export interface Reading extends Pull {
  /** messages received and not yet taken */
  getPending(): number;
}

export interface ConsumerHandle {
  /** messages it had to deliver when it was created (the server's num_pending) */
  readonly pending: number;
  pull(max: number, expiresMs: number): Promise<Pull>;
  /** at most `max` outstanding; a pull expires (and is renewed) after `expiresMs` */
  consume(max: number, expiresMs: number): Promise<Reading>;
  /** a message of this handle's pulls as the reader hands it over */
  stored(m: ReadMessage): StoredMessage;
}

/** What the session asks of the server (nats.js, or a script in the unit tests). */
export interface ConsumerServer {
  /** one create attempt of `name` delivering from `from`, answered within `attemptMs` */
  create(
    name: string,
    from: StartPoint,
    attemptMs: number,
  ): Promise<{ handle: ConsumerHandle; node?: string }>;
  /** one info request within `attemptMs` ("consumer-gone": the server says it is not
   *  there, or its stream is not) */
  info(name: string, attemptMs: number): Promise<"ok" | "consumer-gone" | "silent">;
  /** the message stored at `seq` read from the stream (not through the consumer), null when
   *  there is none (deleted, or not stored yet) */
  get(seq: number, attemptMs: number): Promise<StoredMessage | null>;
  /** false only when the server says the stream does not exist */
  streamExists(): Promise<boolean>;
  /** best-effort, not awaited by anyone who waits for data */
  remove(name: string): Promise<void>;
  /** the server the client left recently because it stopped answering */
  leftNode(): string | undefined;
}

/** Who makes the consumer, and so whether the session may make it again (see the header). */
export type SessionMode =
  { kind: "reader"; namePrefix: string; policy: CreatePolicy } | { kind: "observed" };

const fromSequence = (seq: number): StartPoint => ({
  deliver_policy: "by_start_sequence",
  opt_start_seq: seq,
});

export class ConsumerSession {
  /** the consumer read from now ("" before the first open, and after close) */
  name = "";
  handle: ConsumerHandle | undefined;
  /** the server it lives on, when the server said */
  node: string | undefined;
  /** consumers made so far (each recreate is named after it) */
  private opened = 0;
  /** the newest open: only its consumer is taken, one made for an older is removed */
  private ticket = 0;

  constructor(
    private readonly server: ConsumerServer,
    readonly mode: SessionMode,
  ) {}

  /** A reader consumer the session makes, and makes again at the cursor. */
  static reader(server: ConsumerServer, namePrefix: string, policy: CreatePolicy) {
    return new ConsumerSession(server, { kind: "reader", namePrefix, policy });
  }

  /** `name`, made by its owner: only probed here (listen's durable or ephemeral). */
  static observing(server: ConsumerServer, name: string): ConsumerSession {
    const session = new ConsumerSession(server, { kind: "observed" });
    session.name = name;
    return session;
  }

  /**
   * A consumer delivering from `from` (a stream sequence, or a start point); the previous
   * one is deleted best-effort. Rejects when a newer open or close() gave up on it.
   */
  async open(from: number | StartPoint): Promise<ConsumerHandle> {
    const { mode } = this;
    if (mode.kind !== "reader") throw new Error(`consumer ${this.name} is observed, not made here`);
    const ticket = ++this.ticket;
    if (this.name) void this.server.remove(this.name).catch(() => undefined);
    const start = typeof from === "number" ? fromSequence(from) : from;
    const base = `${mode.namePrefix}${this.opened++ > 0 ? `r${this.opened - 1}` : ""}`;
    const { created, name } = await createUnderFreshNames(
      base,
      mode.policy,
      (name, attemptMs) => this.server.create(name, start, attemptMs),
      (name) => this.server.remove(name),
    );
    if (ticket !== this.ticket) {
      void this.server.remove(name).catch(() => undefined);
      throw new Error(`consumer ${name} was made after its reader gave up on it`);
    }
    // a failed create keeps the old name (deleted above: the next probe finds it gone)
    this.name = name;
    this.handle = created.handle;
    this.node = created.node;
    return created.handle;
  }

  /**
   * open(), given up after `limitMs` without an answer: undefined then, and the consumer
   * made later is removed, never taken.
   */
  async openWithin(
    from: number | StartPoint,
    limitMs: number,
  ): Promise<ConsumerHandle | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), limitMs);
    });
    const opening = this.open(from);
    try {
      const handle = await Promise.race([opening, late]);
      if (!handle) {
        this.ticket++;
        opening.catch(() => undefined);
      }
      return handle;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The owner of an observed consumer replaced it by `name` (listen's new ephemeral). */
  adopt(name: string): void {
    if (this.mode.kind !== "observed") throw new Error("a reader's consumer is made by open()");
    this.name = name;
    this.node = undefined;
    this.handle = undefined;
  }

  /** What became of the consumer: asked once, never waited on a server left as silent. */
  async probe(attemptMs: number): Promise<Probe> {
    if (this.node !== undefined && this.node === this.server.leftNode()) return "silent";
    const answer = this.name ? await this.server.info(this.name, attemptMs) : "consumer-gone";
    if (answer !== "consumer-gone") return answer;
    return (await this.server.streamExists()) ? "consumer-gone" : "stream-gone";
  }

  /** The message stored at `seq`, read from the stream itself (null: none there). */
  stored(seq: number, attemptMs: number): Promise<StoredMessage | null> {
    return this.server.get(seq, attemptMs);
  }

  /**
   * Deletes a reader's current consumer (a clean stop: `consumer ls` stays tidy) and gives
   * up on an open in flight; an observed consumer is its owner's to remove.
   */
  async close(): Promise<void> {
    if (this.mode.kind !== "reader") return;
    this.ticket++;
    const name = this.name;
    this.name = "";
    this.node = undefined;
    if (name) await this.server.remove(name).catch(() => undefined);
  }
}

export { ATTEMPT_MS };

export interface NatsServerOptions {
  /** a reader's consumer settings beside name and start (ack none, in memory, one
   *  replica …); none for an observed consumer, which is never created here */
  config?: Record<string, unknown>;
  /** messages handed over with their headers (view shows them; serve reads none) */
  headers?: boolean;
}

/** ConsumerServer over nats.js's public API, for consumers of `stream`. */
export function natsConsumerServer(
  conn: Connection,
  stream: string,
  opts: NatsServerOptions = {},
): ConsumerServer {
  const manager = (ms: number) => attemptManager(conn, ms);
  const headers = opts.headers ?? false;
  const server: ConsumerServer = {
    async create(name, from, attemptMs) {
      const ci = await (
        await manager(attemptMs)
      ).consumers.add(stream, consumerConfig({ ...opts.config, name, ...from }));
      const consumer = await conn
        .js()
        .consumers.get(stream, ci.name)
        .catch((err: unknown) => {
          // not read from: gone at once rather than after its inactivity threshold
          void server.remove(ci.name).catch(() => undefined);
          throw err;
        });
      return {
        node: ci.cluster?.leader,
        handle: {
          pending: ci.num_pending,
          pull: (max, expiresMs) => consumer.fetch({ max_messages: max, expires: expiresMs }),
          consume: (max, expiresMs) => consumer.consume({ max_messages: max, expires: expiresMs }),
          // its pulls yield nats.js's messages
          stored: (m) => toStoredMessage(m as JsMsg, headers),
        },
      };
    },
    // An empty pull cannot tell an idle stream from a one-replica consumer whose node
    // died: on nats-server 2.9 every server takes the pull request (their JetStream API
    // listens on its subject) and none answers it, so it just expires, again and again;
    // 2.15 says "no responders". Asked once, never retried.
    async info(name, attemptMs) {
      try {
        await (await manager(attemptMs)).consumers.info(stream, name);
        return "ok";
      } catch (err) {
        // the stream's own info tells a deleted stream (see probe())
        const code = jsErrorCode(err);
        if (code === JsErr.ConsumerNotFound || code === JsErr.StreamNotFound)
          return "consumer-gone";
        // a user who may not ask cannot tell: nothing to go on, nothing to recreate
        if (natsErrorCode(err) === "PERMISSIONS_VIOLATION") return "ok";
        return "silent";
      }
    },
    async get(seq, attemptMs) {
      try {
        const sm = await (await manager(attemptMs)).streams.getMessage(stream, { seq });
        return { stream, seq: sm.seq, subject: sm.subject, time: sm.time, data: sm.data };
      } catch (err) {
        if (jsErrorCode(err) === JsErr.NoMessageFound) return null;
        throw err;
      }
    },
    async streamExists() {
      try {
        await (await conn.jsm()).streams.info(stream);
        return true;
      } catch (err) {
        return toCliError(err).exitCode !== ExitCode.NotFound;
      }
    },
    async remove(name) {
      await (await conn.jsm()).consumers.delete(stream, name);
    },
    leftNode: () => leftRecently(conn.nc, 30_000),
  };
  return server;
}

/**
 * Fails fast (exit 3, one line) when this user may not create consumers on `stream`:
 * a reader consumer's create would otherwise be retried for the whole budget.
 */
export async function checkConsumerCreate(
  conn: Connection,
  stream: string,
  name: string,
): Promise<void> {
  const jsm = await conn.jsm();
  try {
    name = (
      await addReaderConsumer(
        conn,
        stream,
        consumerConfig({
          name,
          ack_policy: "none",
          deliver_policy: "new",
          mem_storage: true,
          num_replicas: 1,
          inactive_threshold: 5_000_000_000,
        }),
      )
    ).name;
  } catch (err) {
    const e = toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
    throw new CliError(`cannot create a consumer on stream ${stream}: ${e.message}`, e.exitCode);
  }
  await jsm.consumers.delete(stream, name).catch(() => undefined);
}

/** Deletes the consumers of `stream` whose names start with `prefix` (a clean stop). */
export async function deleteConsumers(
  jsm: JetStreamManager,
  stream: string,
  prefix: string,
): Promise<number> {
  let n = 0;
  const names: string[] = [];
  for await (const ci of jsm.consumers.list(stream)) {
    if (ci.name.startsWith(prefix)) names.push(ci.name);
  }
  for (const name of names) {
    if (await jsm.consumers.delete(stream, name).catch(() => false)) n++;
  }
  return n;
}
