// Reading a stream from a sequence and then following it, in order, through an
// ordered consumer (ephemeral, in memory, recreated by the client after a reconnect
// or a gap, so nothing is skipped or repeated). Kept small and general: it hands raw
// stored messages to a callback and says when it has caught up with the stream's end
// as it was when following began. Used by `serve`'s projection.

import type { ConsumerMessages } from "nats";
import { toCliError } from "./errors.js";
import type { Connection } from "./connection.js";
import type { StoredMessage } from "../output/events.js";
import { toStoredMessage } from "./messages.js";

export interface FollowOptions {
  /** first stream sequence to read (default 1: the whole stream) */
  fromSeq?: number;
  onMessage(message: StoredMessage): void;
}

export interface Follower {
  /** resolves once every message stored before following began has been handed over */
  readonly caughtUp: Promise<void>;
  /** the stream's last sequence when following began */
  readonly initialLastSeq: number;
  /** stops following; resolves when the consumer is gone */
  stop(): Promise<void>;
}

/** Follows `stream`; throws exit 4 when it does not exist, 3 when JetStream is unavailable. */
export async function followStream(
  conn: Connection,
  stream: string,
  opts: FollowOptions,
): Promise<Follower> {
  const { DeliverPolicy } = await import("nats");
  const jsm = await conn.jsm();
  let lastSeq: number;
  let consumerMessages: ConsumerMessages;
  try {
    lastSeq = (await jsm.streams.info(stream)).state.last_seq;
    const consumer = await conn.js().consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(opts.fromSeq ?? 1, 1),
    });
    // short pulls: heartbeats every 2.5s, so a restarted server is noticed quickly
    consumerMessages = await consumer.consume({ max_messages: 512, expires: 5000 });
  } catch (err) {
    throw toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
  }
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  let done = false;
  if (lastSeq < Math.max(opts.fromSeq ?? 1, 1)) {
    done = true;
    markCaughtUp();
  }
  const loop = (async () => {
    for await (const m of consumerMessages) {
      opts.onMessage(toStoredMessage(m));
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
    async stop() {
      consumerMessages.stop();
      await loop.catch(() => undefined);
    },
  };
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

/** The stream's last sequence, or a CliError (4 when it is gone, 3 when JetStream does not answer). */
export async function streamLastSeq(conn: Connection, stream: string): Promise<number> {
  try {
    return (await (await conn.jsm()).streams.info(stream)).state.last_seq;
  } catch (err) {
    throw toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
  }
}
