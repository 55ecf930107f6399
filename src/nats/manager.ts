// The JetStream manager every command uses (stream add/ls/info/rm/purge, view, listen
// set-up, serve), with each JetStream API request retried within the retry budget when
// it got no responders or timed out (a meta or stream leader election, a paused server).
// A server without JetStream is said at once; only a budget that runs out is exit 6.

import type { JetStreamManager, JetStreamManagerOptions, NatsConnection } from "nats";
import { jsErrorCode, natsErrorCode, noJetStreamError } from "./errors.js";
import { retryBudgetMs, withJsRetry } from "./retry.js";

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

/** The one internal method every nats.js API client sends its requests through. */
interface ApiClient {
  _request(subject: string, data?: unknown, opts?: unknown): Promise<unknown>;
}

function hasRequest(client: unknown): client is ApiClient {
  return typeof (client as Partial<ApiClient> | undefined)?._request === "function";
}

/** Routes `client`'s API requests through withJsRetry (nats.js retries none of them). */
function retryRequests(client: unknown, budgetMs: number): void {
  if (!hasRequest(client)) return;
  const request = client._request.bind(client);
  client._request = (subject, data, opts) =>
    withJsRetry(() => request(subject, data, opts), { budgetMs });
}

/**
 * A JetStream manager whose API requests ride out transient failures. Opening it asks the
 * server for the account's JetStream info: no responders from a server whose INFO says
 * it has no JetStream is permanent (exit 3), otherwise it is retried like any request.
 */
export async function openManager(
  nc: NatsConnection,
  timeoutMs: number,
  opts: Partial<JetStreamManagerOptions> = {},
): Promise<JetStreamManager> {
  const budgetMs = retryBudgetMs(timeoutMs);
  const jsm = await withJsRetry(
    () =>
      nc.jetstreamManager({ ...opts, timeout: timeoutMs }).catch((err: unknown) => {
        if (natsErrorCode(err) === "503" && jsErrorCode(err) === undefined && !nc.info?.jetstream)
          throw noJetStreamError();
        throw err;
      }),
    { budgetMs },
  );
  for (const client of [jsm, jsm.streams, jsm.consumers]) retryRequests(client, budgetMs);
  return jsm;
}
