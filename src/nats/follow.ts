// Reading a stream from a sequence and then following it, in order, with nothing
// skipped or repeated: an ephemeral pull consumer (no acks, in memory) read in pulls of
// `batch` messages, the next pull only once the callback (awaited) took the last one, so
// a slow callback slows the reading and nothing piles up in memory. The cursor moves
// only when the callback took a message; a gap in the delivery sequence (lost in a
// reconnect), a consumer the server removed, one that no longer answers after an empty
// pull or a reconnect (its node died), or any failed pull recreates the consumer at the
// cursor. (nats.js's ordered consumer moves its cursor when a message is buffered, and
// drops the buffer when it resets: with a slow callback that loses messages.)
// The consumers are named `<namePrefix><n>` (`r<k>` added when recreated), so an
// operator can tell whose they are;
// stop() deletes the current one and deleteConsumers() the rest on a clean stop.

import type { ConsumerMessages, JetStreamManager, Status } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { toCliError } from "./errors.js";
import type { Connection } from "./connection.js";
import type { StoredMessage } from "../domain/stored-message.js";
import { consumerConfig, toStoredMessage } from "./messages.js";
import { addReaderConsumer, consumerAnswers } from "./reader-consumer.js";

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
  /** the stream's last sequence when following began */
  readonly initialLastSeq: number;
  /** stops following; resolves when the loop has ended and the consumer is deleted */
  stop(): Promise<void>;
  /** rejects when reading fails for good (the loop ended without stop()) */
  readonly ended: Promise<void>;
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
  let next = Math.max(opts.fromSeq ?? 1, 1);
  let lastSeq: number;
  let stored: number;
  try {
    const state = (await jsm.streams.info(stream)).state;
    lastSeq = state.last_seq;
    stored = state.messages;
  } catch (err) {
    throw fail(err);
  }
  // unique in this process: several followers may share a prefix (replays, pages)
  const id = ++followers;
  let serial = 0;
  /** the name of `consumer`, the one read from: both change together, or neither */
  let name = "";
  const create = async () => {
    if (name) void jsm.consumers.delete(stream, name).catch(() => undefined);
    const ci = await addReaderConsumer(
      conn,
      stream,
      consumerConfig({
        name: `${opts.namePrefix}${id}${serial++ > 0 ? `r${serial - 1}` : ""}`,
        ack_policy: "none",
        deliver_policy: "by_start_sequence",
        opt_start_seq: next,
        mem_storage: true,
        num_replicas: 1,
        // removed by the server this long after its reader is gone (a killed serve)
        inactive_threshold: 30_000_000_000,
      }),
    );
    const created = await conn
      .js()
      .consumers.get(stream, ci.name)
      .catch((err: unknown) => {
        // not read from: gone at once rather than after its inactivity threshold
        void jsm.consumers.delete(stream, ci.name).catch(() => undefined);
        throw err;
      });
    // a failed create keeps the old pair (deleted above: the next check finds it gone)
    name = ci.name;
    return created;
  };
  let consumer = await create().catch((err: unknown) => {
    throw fail(err);
  });

  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  let done = false;
  // nothing to read: past the end, or an empty stream that had messages (purged, aged out)
  if (lastSeq < next || stored === 0) {
    done = true;
    markCaughtUp();
  }
  let stopped = false;
  let current: ConsumerMessages | undefined;
  // after a pull that brought nothing, and at once after a reconnect (the node we were on
  // may have held it), the consumer is asked for: no answer recreates it
  let suspect = false;
  const connection = watchConnection(conn, (up) => {
    if (!up) return;
    suspect = true;
    current?.stop();
  });
  const batch = opts.batch ?? 512;
  /** the consumer's delivery sequence of the last message taken (0: none yet) */
  let delivered = 0;
  const loop = (async () => {
    while (!stopped) {
      let gap = false;
      let taken = 0;
      try {
        // short pulls: heartbeats every 2.5s, so a restarted server is noticed quickly
        current = await consumer.fetch({ max_messages: batch, expires: 5000 });
        if (stopped) current.stop();
        for await (const m of current) {
          taken++;
          if (m.info.deliverySequence !== delivered + 1) {
            gap = true;
            break;
          }
          delivered = m.info.deliverySequence;
          await opts.onMessage(toStoredMessage(m, false), m.info.pending);
          next = m.seq + 1;
          // pending 0 also covers a last message deleted since we looked
          if (!done && (m.seq >= lastSeq || m.info.pending === 0)) {
            done = true;
            markCaughtUp();
          }
          if (stopped) break;
        }
        if ((taken === 0 || suspect) && !stopped) {
          suspect = false;
          if ((await consumerAnswers(conn, stream, name)) !== "ok") gap = true;
        }
      } catch (err) {
        // the callback failed: the caller decides
        if (!isNatsError(err)) throw err;
        if (fail(err).exitCode === ExitCode.NotFound && !(await streamExists(jsm, stream))) {
          throw fail(err);
        }
        gap = true;
        await new Promise((r) => setTimeout(r, 500));
      }
      if (gap && !stopped) {
        current?.stop();
        delivered = 0;
        consumer = await create().catch(async (err: unknown) => {
          if (!(await streamExists(jsm, stream))) throw fail(err);
          return consumer;
        });
      }
    }
  })();
  void loop.then(connection.stop, connection.stop);
  const ended = loop.then(() => {
    if (!stopped) throw new Error(`reading stream ${stream} ended`);
  });
  // a failure before the caller looked must not be an unhandled rejection
  ended.catch(() => undefined);
  return {
    caughtUp,
    initialLastSeq: lastSeq,
    ended,
    async stop() {
      stopped = true;
      current?.stop();
      await loop.catch(() => undefined);
      // do not leave it to the inactivity timeout: `consumer ls` stays tidy
      await jsm.consumers.delete(stream, name).catch(() => undefined);
    },
  };
}

async function streamExists(jsm: JetStreamManager, stream: string): Promise<boolean> {
  try {
    await jsm.streams.info(stream);
    return true;
  } catch (err) {
    return toCliError(err).exitCode !== ExitCode.NotFound;
  }
}

/**
 * Fails fast (exit 3, one line) when this user may not create consumers on `stream`:
 * the ordered consumer would otherwise retry its creation for minutes.
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
  // a status iterator of nats.js: stop() ends it and removes its listener
  const status = conn.nc.status() as AsyncIterable<Status> & { stop(): void };
  void (async () => {
    for await (const s of status) {
      const was = connected;
      if (s.type === "disconnect" || s.type === "staleConnection") connected = false;
      else if (s.type === "reconnect") connected = true;
      if (was !== connected) onChange(connected);
    }
  })().catch(() => undefined);
  return {
    connected: () => connected && !conn.nc.isClosed(),
    stop: () => status.stop(),
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
