// Durable processing for `listen`: a pull consumer with explicit acks. Each message is
// handed to the writer and acknowledged only once it was written out; what was pulled
// but not written when listening stops is handed back at once (nak). Pulls are bounded
// requests answered on one inbox (never more than --count still needs), so `listen
// --count 1` in a loop does not strand messages until the ack wait; through a backlog the
// next pull travels while the previous one is written and acknowledged, and at most one
// window is in flight.
// Lost connections and server restarts are ridden out: the loop retries, a vanished
// ephemeral consumer is recreated after the last acknowledged message.
//
// The parts: listen-consumer.ts (options, the consumer found or created), listen-pulls.ts
// (the pulls outstanding, on one inbox; pulled.ts the messages they bring), acks.ts (confirmed acks; no sequence written twice),
// listen-session.ts (one run: reading, writing in bursts, stopping, recovering).

import type { Connection } from "./connection.js";
import {
  prepareConsumer,
  wantedConfig,
  type ListenOptions,
  type StopReason,
} from "./listen-consumer.js";
import { ListenSession, type ListenHooks, type ListenResult } from "./listen-session.js";

export {
  DEFAULT_DURABLE,
  durableMismatches,
  prepareConsumer,
  wantedConfig,
  type ListenOptions,
  type StopReason,
} from "./listen-consumer.js";
export type { ListenHooks, ListenResult } from "./listen-session.js";

export interface Listener {
  run(): Promise<ListenResult>;
  stop(reason: StopReason): void;
}

/** The consumer found or created (errors before anything is read), and a run over it. */
export async function createListener(
  conn: Connection,
  opts: ListenOptions,
  hooks: ListenHooks,
): Promise<Listener> {
  const jsm = await conn.jsm();
  const config = wantedConfig(opts);
  const prepared = await prepareConsumer(jsm, opts, config);
  const session = new ListenSession(conn, jsm, opts, hooks, config, prepared.info);
  return {
    run() {
      hooks.ready?.(session.consumerName, prepared.resumed);
      return session.run();
    },
    stop: (reason) => session.stop(reason),
  };
}
