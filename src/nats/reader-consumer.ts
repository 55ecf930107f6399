// Creating a reader's consumer (named, ack none, in memory, R1: view's reads and serve's
// followers through their ConsumerSession, view's counts here) on a cluster with a node
// down, explicitly: nats.js is used through its public API, the retry policy is a
// parameter. nats-server 2.9 may place a new R1 consumer of a replicated stream on the
// peer that is down: its create never gets an answer, and asking again under the same
// name asks the same dead peer (nats.js's ordered consumer does exactly that, for
// minutes: view no longer uses it). So an attempt that gets no answer within its attempt
// time is made again under a fresh name, within the retry budget; the name that got no
// answer is deleted best-effort. What became of a consumer is asked through its session's
// probe (consumer-session.ts), the only one.

import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "nats";
import type { Connection } from "./connection.js";
import { jsApiOptions } from "./manager.js";
import { isTransient, retryBudgetMs, withJsRetry } from "./retry.js";

type Conn = Pick<Connection, "nc" | "settings">;

/** A live peer creates a reader's consumer in milliseconds; this long is no answer. */
export const ATTEMPT_MS = 2_000;

/** How long each create attempt waits for its answer, and all of them together. */
export interface CreatePolicy {
  /** attempt `n` (0, 1, …) */
  attemptMs(attempt: number): number;
  budgetMs: number;
}

/** ATTEMPT_MS (at most the API timeout) each, within the retry budget. */
export function steadyCreatePolicy(timeoutMs: number): CreatePolicy {
  return { attemptMs: () => ATTEMPT_MS, budgetMs: retryBudgetMs(timeoutMs) };
}

/**
 * `create(name, attemptMs)` under `base`, then `<base>-f1`, `-f2` … after each attempt
 * that got no answer (each such name `remove`d best-effort: it may exist where nobody
 * answered), within the policy's budget. The result and the name that was created.
 */
export async function createUnderFreshNames<T>(
  base: string,
  policy: CreatePolicy,
  create: (name: string, attemptMs: number) => Promise<T>,
  remove: (name: string) => Promise<unknown>,
): Promise<{ created: T; name: string }> {
  return withJsRetry(
    async ({ attempt, remainingMs }) => {
      const name = attempt === 0 ? base : `${base}-f${attempt}`;
      try {
        const ms = Math.max(1, Math.min(policy.attemptMs(attempt), remainingMs));
        return { created: await create(name, ms), name };
      } catch (err) {
        if (isTransient(err)) void remove(name).catch(() => undefined);
        throw err;
      }
    },
    { budgetMs: policy.budgetMs },
  );
}

/** Creates the reader consumer `cfg` under fresh names (createUnderFreshNames); its info. */
export async function addReaderConsumer(
  conn: Conn,
  stream: string,
  cfg: Partial<ConsumerConfig>,
  policy: CreatePolicy = steadyCreatePolicy(conn.settings.timeoutMs),
): Promise<ConsumerInfo> {
  const api = async (ms: number) => (await attemptManager(conn, ms)).consumers;
  const { created } = await createUnderFreshNames(
    cfg.name!,
    policy,
    async (name, ms) => (await api(ms)).add(stream, { ...cfg, name }),
    async (name) => (await api(ATTEMPT_MS)).delete(stream, name),
  );
  return created;
}

/** A manager whose requests wait one short attempt (at most `limitMs`), never retried. */
export function attemptManager(conn: Conn, limitMs = ATTEMPT_MS): Promise<JetStreamManager> {
  const ms = Math.min(ATTEMPT_MS, conn.settings.timeoutMs, limitMs);
  return conn.nc.jetstreamManager({ ...jsApiOptions(conn.settings, ms), checkAPI: false });
}
