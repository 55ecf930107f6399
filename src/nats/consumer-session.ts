// One reader consumer of a stream, owned by one reader (serve's follower today): its name,
// its handle, where it lives, "recreate it where I stopped", and one probe that says what
// became of it. Readers hold their cursor; the session holds the consumer.
//
// - open(fromSeq) creates `<prefix>` (then `<prefix>r1`, `r2` … on each recreate) at the
//   cursor, the previous one deleted best-effort. One create attempt that gets no answer
//   in its attempt time is made again under a fresh name (nats-server may place a
//   one-replica consumer on a peer that is down or silent, and asking again under the same
//   name asks the same peer), within the retry budget: both are the policy passed in.
// - probe() answers "ok", "consumer-gone" (the server says so, the stream is there),
//   "stream-gone" or "silent" (no answer in one attempt, or the consumer lives on the
//   server the client just left because it stopped answering: not asked, not waited on).
//
// The server side is an interface (ConsumerServer): nats.js in natsConsumerServer(),
// a scripted in-memory fake in the unit tests. listen could hold its durable the same
// way: open() would become "create or bind", the probe is the same.
// Also here: checkConsumerCreate (may this user create readers' consumers at all) and
// deleteConsumers (a clean stop removes a reader's leftovers by name prefix).

import type { JetStreamManager, JsMsg } from "nats";
import type { StoredMessage } from "../domain/stored-message.js";
import type { Connection } from "./connection.js";
import { JsErr, jsErrorCode, toCliError } from "./errors.js";
import { leftRecently } from "./failover.js";
import {
  addReaderConsumer,
  ATTEMPT_MS,
  attemptManager,
  probeConsumer,
  createUnderFreshNames,
  type CreatePolicy,
} from "./reader-consumer.js";

import { consumerConfig, toStoredMessage } from "./messages.js";
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

export interface ConsumerHandle {
  pull(max: number, expiresMs: number): Promise<Pull>;
  /** a message of this handle's pulls as the reader hands it over */
  stored(m: ReadMessage): StoredMessage;
}

/** What the session asks of the server (nats.js, or a script in the unit tests). */
export interface ConsumerServer {
  /** one create attempt of `name` delivering from `fromSeq`, answered within `attemptMs` */
  create(
    name: string,
    fromSeq: number,
    attemptMs: number,
  ): Promise<{ handle: ConsumerHandle; node?: string }>;
  /** one info request within `attemptMs`: "ok", "consumer-gone" or "silent" */
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

export class ConsumerSession {
  /** the consumer read from now ("" before the first open) */
  name = "";
  handle: ConsumerHandle | undefined;
  /** the server it lives on, when the server said */
  node: string | undefined;
  private opened = 0;

  constructor(
    private readonly server: ConsumerServer,
    private readonly namePrefix: string,
    private readonly policy: CreatePolicy,
  ) {}

  /** A consumer delivering from `fromSeq`; the previous one is deleted best-effort. */
  async open(fromSeq: number): Promise<ConsumerHandle> {
    if (this.name) void this.server.remove(this.name).catch(() => undefined);
    const base = `${this.namePrefix}${this.opened++ > 0 ? `r${this.opened - 1}` : ""}`;
    const { created, name } = await createUnderFreshNames(
      base,
      this.policy,
      (name, attemptMs) => this.server.create(name, fromSeq, attemptMs),
      (name) => this.server.remove(name),
    );
    // a failed create keeps the old name (deleted above: the next probe finds it gone)
    this.name = name;
    this.handle = created.handle;
    this.node = created.node;
    return created.handle;
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

  /** Deletes the current consumer (a clean stop: `consumer ls` stays tidy). */
  async close(): Promise<void> {
    if (this.name) await this.server.remove(this.name).catch(() => undefined);
  }
}

export { ATTEMPT_MS };

/** ConsumerServer over nats.js's public API, for reader consumers of `stream`. */
export function natsConsumerServer(
  conn: Connection,
  stream: string,
  /** consumer settings beside name and start (ack none, in memory, one replica …) */
  base: Record<string, unknown>,
): ConsumerServer {
  const manager = (ms: number) => attemptManager(conn, ms);
  const server: ConsumerServer = {
    async create(name, fromSeq, attemptMs) {
      const ci = await (
        await manager(attemptMs)
      ).consumers.add(
        stream,
        consumerConfig({
          ...base,
          name,
          deliver_policy: "by_start_sequence",
          opt_start_seq: fromSeq,
        }),
      );
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
          pull: (max, expiresMs) => consumer.fetch({ max_messages: max, expires: expiresMs }),
          // its pulls yield nats.js's messages
          stored: (m) => toStoredMessage(m as JsMsg, false),
        },
      };
    },
    async info(name, attemptMs) {
      const answer = await probeConsumer(conn, stream, name, attemptMs);
      return answer === "gone" ? "consumer-gone" : answer;
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
