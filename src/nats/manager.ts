// The JetStream manager every command uses (stream add/ls/info/rm/purge, view, listen
// set-up, serve), with each JetStream API call retried within the retry budget when it got
// no responders or timed out (a meta or stream leader election, a paused server): our
// wrapper (retryingApi) around nats.js's public methods, its retry policy a parameter.
// A server without JetStream is said at once; only a budget that runs out is exit 6.

import type { JetStreamManager, JetStreamManagerOptions, NatsConnection } from "nats";
import { jsErrorCode, natsErrorCode, noJetStreamError } from "./errors.js";
import { withJsRetry, type RetryOptions } from "./retry.js";
import type { Timing } from "./timing.js";

/** Options for a JetStream client or manager: `timeoutMs` per request, the connection's domain or API prefix. */
export function jsApiOptions(
  settings: { jsDomain?: string; jsApiPrefix?: string },
  timeoutMs: number,
): { timeout: number; domain?: string; apiPrefix?: string } {
  return {
    timeout: timeoutMs,
    ...(settings.jsDomain ? { domain: settings.jsDomain } : {}),
    ...(settings.jsApiPrefix && !settings.jsDomain ? { apiPrefix: settings.jsApiPrefix } : {}),
  };
}

/** The subject prefix of the JetStream API these settings reach (what nats.js derives from the same options). */
export function jsApiSubjectPrefix(settings: { jsDomain?: string; jsApiPrefix?: string }): string {
  if (settings.jsDomain) return `$JS.${settings.jsDomain}.API`;
  return (settings.jsApiPrefix ?? "$JS.API").replace(/\.$/, "");
}

/** How a wrapped API's calls are retried (retry.ts withJsRetry's options). */
export type RetryPolicy = Pick<RetryOptions, "budgetMs" | "onRetry" | "signal">;

/** The methods of the managers' APIs that return a Lister (paged requests, read whole). */
const LISTERS: ReadonlySet<PropertyKey> = new Set(["list", "names"]);

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === "function";
}

/** A lister read whole within one retried call, handed back as a lister again. */
function retriedLister<T>(list: () => AsyncIterable<T>, policy: RetryPolicy) {
  let all: Promise<T[]> | undefined;
  const read = () =>
    (all ??= withJsRetry(async () => {
      const out: T[] = [];
      for await (const item of list()) out.push(item);
      return out;
    }, policy));
  let done = false;
  return {
    async next(): Promise<T[]> {
      if (done) return [];
      done = true;
      return read();
    },
    async *[Symbol.asyncIterator]() {
      yield* await read();
    },
  };
}

/**
 * `api` (a nats.js manager or one of its APIs) seen through a wrapper of ours: every call
 * that returns a promise is made again by withJsRetry under `policy` while it fails
 * transiently (nats.js retries none of them); list() and names() are read whole within one
 * retried call. The library's objects are used only through their public methods.
 */
export function retryingApi<T extends object>(api: T, policy: RetryPolicy): T {
  return new Proxy(api, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (LISTERS.has(key))
        return (...args: unknown[]) =>
          retriedLister(() => method.apply(target, args) as AsyncIterable<unknown>, policy);
      return (...args: unknown[]) => {
        const first = method.apply(target, args);
        if (!isPromise(first)) return first;
        return withJsRetry(
          ({ attempt }) =>
            attempt === 0 ? first : (method.apply(target, args) as Promise<unknown>),
          policy,
        );
      };
    },
  });
}

/** The manager with its own, its streams' and its consumers' calls retried under `policy`. */
function retryingManager(jsm: JetStreamManager, policy: RetryPolicy): JetStreamManager {
  const streams = retryingApi(jsm.streams, policy);
  const consumers = retryingApi(jsm.consumers, policy);
  const managed = retryingApi(jsm, policy);
  return new Proxy(managed, {
    get(target, key) {
      if (key === "streams") return streams;
      if (key === "consumers") return consumers;
      return Reflect.get(target, key);
    },
  });
}

/**
 * A JetStream manager whose API requests ride out transient failures. Opening it asks the
 * server for the account's JetStream info: no responders from a server whose INFO says
 * it has no JetStream is permanent (exit 3), otherwise it is retried like any request.
 */
export async function openManager(
  nc: NatsConnection,
  timing: Pick<Timing, "requestMs" | "retryBudgetMs">,
  opts: Partial<JetStreamManagerOptions> = {},
): Promise<JetStreamManager> {
  const { requestMs: timeoutMs, retryBudgetMs: budgetMs } = timing;
  const jsm = await withJsRetry(
    () =>
      nc.jetstreamManager({ ...opts, timeout: timeoutMs }).catch((err: unknown) => {
        if (natsErrorCode(err) === "503" && jsErrorCode(err) === undefined && !nc.info?.jetstream)
          throw noJetStreamError();
        throw err;
      }),
    { budgetMs },
  );
  return retryingManager(jsm, { budgetMs });
}
