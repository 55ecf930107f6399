// Reading a stream from a sequence and then following it, in order, through an
// ordered consumer (ephemeral, in memory, recreated by the client after a reconnect
// or a gap, so nothing is skipped or repeated). It hands raw stored messages to a
// callback (awaited, so a slow callback slows the reading, nothing piles up) and says
// when it has caught up with the stream's end as it was when following began. The
// consumers are named `<namePrefix><random>_<n>` so an operator can tell whose they
// are, and deleteConsumers() removes them on a clean stop. Used by `serve`.

import type { ConsumerMessages, JetStreamManager } from "nats";
import { CliError } from "../errors.js";
import { toCliError } from "./errors.js";
import type { Connection } from "./connection.js";
import type { StoredMessage } from "../output/events.js";
import { consumerConfig, toStoredMessage } from "./messages.js";

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
  /** stops following; resolves when the loop has ended */
  stop(): Promise<void>;
  /** rejects when reading fails for good (the loop ended without stop()) */
  readonly ended: Promise<void>;
}

/** Follows `stream`; throws exit 4 when it does not exist, 3 when JetStream is unavailable. */
export async function followStream(
  conn: Connection,
  stream: string,
  opts: FollowOptions,
): Promise<Follower> {
  const { DeliverPolicy } = await import("nats");
  const jsm = await conn.jsm();
  const fromSeq = Math.max(opts.fromSeq ?? 1, 1);
  let lastSeq: number;
  let stored: number;
  let consumerMessages: ConsumerMessages;
  let consumerName: () => string | undefined = () => undefined;
  try {
    const state = (await jsm.streams.info(stream)).state;
    lastSeq = state.last_seq;
    stored = state.messages;
    const consumer = await conn.js().consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
      name_prefix: opts.namePrefix,
      // removed by the server this long after its reader is gone (a killed serve)
      inactive_threshold: 30_000,
    });
    // the ordered consumer's current server-side consumer (recreated after a gap)
    consumerName = () =>
      (consumer as unknown as { currentConsumer?: { name?: string } | null }).currentConsumer?.name;
    // short pulls: heartbeats every 2.5s, so a restarted server is noticed quickly
    consumerMessages = await consumer.consume({ max_messages: opts.batch ?? 512, expires: 5000 });
  } catch (err) {
    throw toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
  }
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  let done = false;
  // nothing to read: past the end, or an empty stream that had messages (purged, aged out)
  if (lastSeq < fromSeq || stored === 0) {
    done = true;
    markCaughtUp();
  }
  let stopped = false;
  const loop = (async () => {
    for await (const m of consumerMessages) {
      await opts.onMessage(toStoredMessage(m), m.info.pending);
      // pending 0 also covers a last message deleted since we looked
      if (!done && (m.seq >= lastSeq || m.info.pending === 0)) {
        done = true;
        markCaughtUp();
      }
    }
  })();
  return {
    caughtUp,
    initialLastSeq: lastSeq,
    ended: loop.then(() => {
      if (!stopped) throw new Error(`reading stream ${stream} ended`);
    }),
    async stop() {
      stopped = true;
      const name = consumerName();
      consumerMessages.stop();
      await loop.catch(() => undefined);
      // do not leave it to the inactivity timeout: `consumer ls` stays tidy
      if (name) await jsm.consumers.delete(stream, name).catch(() => undefined);
    },
  };
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
    await jsm.consumers.add(
      stream,
      consumerConfig({
        name,
        ack_policy: "none",
        deliver_policy: "new",
        mem_storage: true,
        num_replicas: 1,
        inactive_threshold: 5_000_000_000,
      }),
    );
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
  let stopped = false;
  const status = conn.nc.status();
  void (async () => {
    for await (const s of status) {
      if (stopped) break;
      const was = connected;
      if (s.type === "disconnect" || s.type === "staleConnection") connected = false;
      else if (s.type === "reconnect") connected = true;
      if (was !== connected) onChange(connected);
    }
  })().catch(() => undefined);
  return {
    connected: () => connected && !conn.nc.isClosed(),
    stop() {
      stopped = true;
    },
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
}> {
  try {
    const si = await (await conn.jsm()).streams.info(stream);
    return {
      first_seq: si.state.first_seq,
      last_seq: si.state.last_seq,
      messages: si.state.messages,
      created: si.created,
      replicas: si.config.num_replicas ?? 1,
    };
  } catch (err) {
    throw toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
  }
}
