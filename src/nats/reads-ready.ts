// Waiting, within the retry budget, until a stream just made answers reads. A stream that
// allows direct gets is read through its replicas' own subscriptions, not the JetStream
// API: right after it was made (serve's view bucket on a new stream, a cluster that just
// started) the other nodes may not know of those subscriptions yet, and a direct get
// answers "no responders" though the stream is there (serve exited 3 at start in about 1
// run of 3 of the partition test at load). Its first read is tried again like any
// JetStream request (retry.ts); a budget that runs out fails as the read itself would.

import type { Connection } from "./connection.js";
import { RetryBudgetExceeded, toCliError } from "./errors.js";
import { jsApiSubjectPrefix } from "./manager.js";
import { retryBudgetMs, withJsRetry } from "./retry.js";

/** Resolves once `stream` answers a direct get (any answer, "no message" included). */
export async function untilReadsAnswer(conn: Connection, stream: string): Promise<void> {
  const scope = { phase: "request" as const, stream, servers: conn.settings.servers };
  try {
    // the API's own reads (through the stream's leader) need no wait
    if ((await (await conn.jsm()).streams.info(stream)).config.allow_direct !== true) return;
    // the request a direct get makes (nats.js keeps its direct API off the manager's type)
    const subject = `${jsApiSubjectPrefix(conn.settings)}.DIRECT.GET.${stream}`;
    const query = new TextEncoder().encode(JSON.stringify({ seq: 1 }));
    await withJsRetry(
      async () => {
        await conn.nc.request(subject, query, { timeout: conn.settings.timeoutMs });
      },
      { budgetMs: retryBudgetMs(conn.settings.timeoutMs) },
    );
  } catch (err) {
    // out of budget: what the read itself would have said ("no responders", exit 3)
    throw toCliError(err instanceof RetryBudgetExceeded ? err.cause : err, scope);
  }
}
