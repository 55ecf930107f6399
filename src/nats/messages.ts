// JetStream messages as tweetstream's plain StoredMessage (domain/stored-message.ts;
// output/events.ts renders it),
// and the ephemeral probe consumers view uses to count what matches before reading.

import { randomUUID } from "node:crypto";
import type { ConsumerConfig, DeliveryInfo, JsMsg, MsgHdrs } from "nats";
import type { StoredMessage } from "../domain/stored-message.js";
import type { DeliverSpec } from "../parse.js";
import type { Connection } from "./connection.js";
import { addReaderConsumer } from "./reader-consumer.js";

/** What is read of a delivered message: nats.js's JsMsg, or listen's PulledMessage (pulled.ts). */
export interface DeliveredMessage {
  subject: string;
  data: Uint8Array;
  headers?: MsgHdrs;
  info: Pick<DeliveryInfo, "stream" | "streamSequence" | "timestampNanos" | "deliveryCount">;
}

/**
 * `withHeaders` false: no headers (serve reads subject and data only; decoding a tweet's
 * Nats-Msg-Id header for every followed message cost more than reading its event).
 */
export function toStoredMessage(m: DeliveredMessage | JsMsg, withHeaders = true): StoredMessage {
  const info = m.info;
  const msg: StoredMessage = {
    stream: info.stream,
    seq: info.streamSequence,
    subject: m.subject,
    time: new Date(Math.floor(info.timestampNanos / 1_000_000)),
    data: m.data,
    delivered: info.deliveryCount,
  };
  const h = withHeaders ? m.headers : undefined;
  if (h) {
    const headers: Record<string, string[]> = {};
    for (const [k, v] of h) headers[k] = v;
    if (Object.keys(headers).length > 0) msg.headers = headers;
  }
  return msg;
}

/** Where a read starts, in the JetStream consumer configuration's terms. */
export type StartPoint =
  | { deliver_policy: "all" }
  | { deliver_policy: "new" }
  | { deliver_policy: "last" }
  | { deliver_policy: "by_start_sequence"; opt_start_seq: number }
  | { deliver_policy: "by_start_time"; opt_start_time: string };

/**
 * How many stored messages match `filter` from `start` on, and the stream sequence of
 * the first. Asks the server through a short-lived ephemeral consumer (num_pending),
 * so nothing is read; one filter_subject string, which nats-server 2.9 understands.
 * Named, so that one placed on a node that is down is asked for again under a new name.
 */
export async function countMatching(
  conn: Connection,
  stream: string,
  filter: string | undefined,
  start: StartPoint,
): Promise<number> {
  const ci = await addReaderConsumer(
    conn,
    stream,
    consumerConfig({
      name: `tweetstream-count-${randomUUID().slice(0, 8)}`,
      ack_policy: "none",
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: 10_000_000_000,
      ...(filter ? { filter_subject: filter } : {}),
      ...start,
    }),
  );
  // the server removes it after inactive_threshold anyway; deleting now keeps ls tidy
  (await conn.jsm()).consumers.delete(stream, ci.name).catch(() => undefined);
  return ci.num_pending;
}

/**
 * A consumer configuration written with the API's plain strings ("none", "explicit",
 * "by_start_sequence"): the enums of the nats package are runtime values, and this
 * folder loads that package lazily.
 */
export function consumerConfig(config: Record<string, unknown>): Partial<ConsumerConfig> {
  return config as Partial<ConsumerConfig>;
}

/** Where a consumer starts (listen and consumer add --deliver), as ConsumerConfig fields. */
export function deliverConfig(spec: DeliverSpec | undefined): Record<string, unknown> {
  if (!spec) return { deliver_policy: "all" };
  switch (spec.policy) {
    case "sequence":
      return { deliver_policy: "by_start_sequence", opt_start_seq: spec.seq };
    case "time":
      return { deliver_policy: "by_start_time", opt_start_time: spec.time.toISOString() };
    default:
      return { deliver_policy: spec.policy };
  }
}
