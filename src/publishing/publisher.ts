// Publishing events over a connection, for tweet, like and serve's POSTs: each message a
// plain publish answered on the connection's one ack inbox (nats/acked-publish.ts), with
// the guarantees of nats/publish.ts: it waits for the JetStream ack, the message id is the
// same on every retry, transient failures are retried within the retry budget. (Bulk runs,
// publish --file and tweet --count, go through nats/bulk-publish.ts on the same inbox.)

import type { Connection } from "../nats/connection.js";
import type { PublishOutcome } from "../nats/publish.js";
import type { Publishable } from "./publishable.js";

/** Publishes one message to the stream and waits for its ack; throws a CliError otherwise. */
export type MessagePublisher = (message: Publishable) => Promise<PublishOutcome>;

/** The publisher of `stream` on `conn` (Nats-Expected-Stream: never stored elsewhere). */
export async function messagePublisher(
  conn: Connection,
  stream: string,
): Promise<MessagePublisher> {
  const [{ connectionPublisher }, { publishMessage }] = await Promise.all([
    import("../nats/acked-publish.js"),
    import("../nats/publish.js"),
  ]);
  const via = await connectionPublisher(conn.nc, conn.settings.inboxPrefix);
  return (message) =>
    publishMessage(conn.js(), message.subject, message.payload, {
      msgID: message.msgID,
      timeoutMs: conn.settings.timeoutMs,
      expectStream: stream,
      via,
    });
}
