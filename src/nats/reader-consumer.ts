// Creating a reader's consumer (named, ack none, in memory, R1: view's ordered consumer,
// serve's followers) on a cluster with a node down. nats-server 2.9 may place a new R1
// consumer of a replicated stream on the peer that is down: its create never gets an
// answer, and asking again under the same name asks the same dead peer (nats.js's
// ordered consumer does exactly that, for minutes). So an attempt that gets no answer
// within a short attempt timeout is made again under a fresh name, within the retry
// budget; the name that got no answer is deleted best-effort.

import type { ConsumerConfig, ConsumerInfo, JetStreamClient, JetStreamManager } from "nats";
import type { Connection } from "./connection.js";
import { jsApiOptions } from "./manager.js";
import { JsErr, jsErrorCode, natsErrorCode } from "./errors.js";
import { isTransient, retryBudgetMs, withJsRetry } from "./retry.js";

type Conn = Pick<Connection, "nc" | "settings">;

/** A live peer creates a reader's consumer in milliseconds; this long is no answer. */
export const ATTEMPT_MS = 2_000;

interface ConsumerAdder {
  add(stream: string, cfg: Partial<ConsumerConfig>, action?: unknown): Promise<ConsumerInfo>;
}

/** A reader's consumer: named, no acks, in memory, one replica. */
export function isReaderConsumer(cfg: Partial<ConsumerConfig>): boolean {
  return (
    !!cfg.name &&
    cfg.ack_policy === "none" &&
    cfg.mem_storage === true &&
    cfg.num_replicas === 1 &&
    !cfg.durable_name
  );
}

/**
 * Creates `cfg` (named `cfg.name`, then `<name>-f1`, `-f2` … on attempts that got no
 * answer) within the retry budget; the returned info carries the name that was created.
 */
export async function addReaderConsumer(
  conn: Conn,
  stream: string,
  cfg: Partial<ConsumerConfig>,
): Promise<ConsumerInfo> {
  return withJsRetry(
    async ({ attempt, remainingMs }) => {
      const name = attempt === 0 ? cfg.name : `${cfg.name}-f${attempt}`;
      const api = (await attemptManager(conn, remainingMs)).consumers;
      try {
        return await api.add(stream, { ...cfg, name });
      } catch (err) {
        if (isTransient(err)) void api.delete(stream, name!).catch(() => undefined);
        throw err;
      }
    },
    { budgetMs: retryBudgetMs(conn.settings.timeoutMs) },
  );
}

/** A manager whose requests wait one short attempt (at most `limitMs`), never retried. */
export function attemptManager(conn: Conn, limitMs = ATTEMPT_MS): Promise<JetStreamManager> {
  const ms = Math.min(ATTEMPT_MS, conn.settings.timeoutMs, limitMs);
  return conn.nc.jetstreamManager({ ...jsApiOptions(conn.settings, ms), checkAPI: false });
}

/** Makes `js`'s consumer creates (nats.js's ordered consumer among them) go through addReaderConsumer. */
export function freshReaderConsumers(js: JetStreamClient, conn: Conn): void {
  const api = (js as unknown as { consumerAPI?: ConsumerAdder }).consumerAPI;
  if (typeof api?.add !== "function") return;
  const add = api.add.bind(api);
  api.add = (stream, cfg, action) =>
    isReaderConsumer(cfg) && action === undefined
      ? addReaderConsumer(conn, stream, cfg)
      : add(stream, cfg, action);
}

/**
 * Whether the server holding `consumer` still answers for it, asked once within 2 s (no
 * retry): "ok", "gone" (the server says it does not exist) or "silent" (no answer). An
 * empty pull cannot tell an idle stream from a one-replica consumer whose node died: on
 * nats-server 2.9 every server takes the pull request (their JetStream API listens on its
 * subject) and none answers it, so it just expires, again and again; 2.15 says "no
 * responders". A reader that got nothing, or that failure, asks this and recreates its
 * consumer unless the answer is "ok".
 */
export async function consumerAnswers(
  conn: Conn,
  stream: string,
  consumer: string,
  attemptMs = ATTEMPT_MS,
): Promise<"ok" | "gone" | "silent"> {
  try {
    await (await attemptManager(conn, attemptMs)).consumers.info(stream, consumer);
    return "ok";
  } catch (err) {
    if (jsErrorCode(err) === JsErr.ConsumerNotFound) return "gone";
    // a user who may not ask cannot tell: nothing to go on, nothing to recreate
    if (natsErrorCode(err) === "PERMISSIONS_VIOLATION") return "ok";
    return "silent";
  }
}
