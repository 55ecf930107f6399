// Consumer management for `tweetstream consumer …`: list, info, remove (the API's
// ConsumerInfo, as natscli prints it with --json) and `next`, which pulls from a durable
// pull consumer and acknowledges with a confirmed ack. Rendering is in output/consumers.ts.

import type { ConsumerConfig, ConsumerInfo, JetStreamManager, JsMsg } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { ConfigConflictError, configChanges } from "../domain/config-change.js";
import type { StoredMessage } from "../domain/stored-message.js";
import type { Connection } from "./connection.js";
import { JsErr, jsErrorCode, toCliError, withApiCode } from "./errors.js";
import { toStoredMessage } from "./messages.js";
import { pullExpiryMs } from "./timing.js";

/** ConsumerInfo as the API sends it, without the response's `type` field. */
function apiShape(info: ConsumerInfo): ConsumerInfo {
  const { type: _type, ...rest } = info as ConsumerInfo & { type?: string };
  return rest as ConsumerInfo;
}

export async function listConsumers(
  jsm: JetStreamManager,
  stream: string,
): Promise<ConsumerInfo[]> {
  const out: ConsumerInfo[] = [];
  try {
    for await (const info of jsm.consumers.list(stream)) out.push(apiShape(info));
  } catch (err) {
    throw toCliError(err, { stream, phase: "request" });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function getConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<ConsumerInfo> {
  try {
    return apiShape(await jsm.consumers.info(stream, name));
  } catch (err) {
    throw toCliError(err, { stream, consumer: `${name} on stream ${stream}`, phase: "request" });
  }
}

/**
 * Creates a durable consumer; an identical one is fine (the server says so), a different
 * one with that name is a conflict (exit 5). `existed`: it was there before.
 */
export async function addConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<{ info: ConsumerInfo; existed: boolean }> {
  const name = config.durable_name;
  const scope = { stream, consumer: `${name} on stream ${stream}`, phase: "request" as const };
  const before = await jsm.consumers.info(stream, name).catch((err: unknown) => {
    if (jsErrorCode(err) === JsErr.ConsumerNotFound) return undefined;
    throw toCliError(err, scope);
  });
  if (before) {
    // never changed by add (nats-server 2.9 would update it in place): that is edit's job
    const changes = configChanges(before.config, config);
    if (changes.length > 0)
      throw new ConfigConflictError({
        kind: "exists",
        entity: "consumer",
        name,
        stream,
        changes,
      });
    return { info: apiShape(before), existed: true };
  }
  try {
    return { info: apiShape(await jsm.consumers.add(stream, config)), existed: !!before };
  } catch (err) {
    throw toCliError(err, scope);
  }
}

/**
 * Changes a durable consumer in place (what the server lets change: ack wait, max
 * deliver, max ack pending, backoff, description, filter on 2.10+…), keeping its
 * position and ack floor. A change the server refuses is exit 5 with its reason.
 */
export async function updateConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
  changes: Partial<ConsumerConfig>,
): Promise<ConsumerInfo> {
  try {
    return apiShape(await jsm.consumers.update(stream, name, changes));
  } catch (err) {
    const api = (err as { api_error?: { code: number; description: string } }).api_error;
    const code = jsErrorCode(err);
    if (api && api.code !== 503 && code !== JsErr.StreamNotFound && code !== JsErr.ConsumerNotFound)
      throw new CliError(
        withApiCode(`the server will not change consumer ${name}: ${api.description}`, code),
        ExitCode.Conflict,
      );
    throw toCliError(err, { stream, consumer: `${name} on stream ${stream}`, phase: "request" });
  }
}

export async function removeConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<void> {
  try {
    await jsm.consumers.delete(stream, name);
  } catch (err) {
    throw toCliError(err, { stream, consumer: `${name} on stream ${stream}`, phase: "request" });
  }
}

export interface NextOptions {
  stream: string;
  consumer: string;
  count: number;
  /** acknowledge each message (and wait for the server to confirm it) */
  ack: boolean;
  /** how long to wait for the messages, ms */
  waitMs: number;
  /** called for each message; the ack is sent only after it resolves */
  onMessage(msg: StoredMessage): Promise<void>;
}

export interface NextResult {
  received: number;
  acked: number;
}

/**
 * Pulls up to `count` messages from a durable pull consumer, hands each to onMessage,
 * then acknowledges it and waits for the server's confirmation (an unconfirmed ack is
 * exit 6: the message may be delivered again).
 */
export async function nextMessages(conn: Connection, opts: NextOptions): Promise<NextResult> {
  const info = await getConsumer(await conn.jsm(), opts.stream, opts.consumer);
  if (info.config.deliver_subject) {
    throw new CliError(
      `consumer ${opts.consumer} on stream ${opts.stream} is a push consumer; next reads pull consumers only`,
      ExitCode.Conflict,
    );
  }
  const consumer = await conn.js().consumers.get(opts.stream, opts.consumer);
  const result: NextResult = { received: 0, acked: 0 };
  let batch: AsyncIterable<JsMsg>;
  try {
    batch = await consumer.fetch({
      max_messages: opts.count,
      expires: pullExpiryMs(opts.waitMs),
    });
  } catch (err) {
    throw toCliError(err, { stream: opts.stream, consumer: opts.consumer, phase: "request" });
  }
  for await (const m of batch) {
    result.received++;
    await opts.onMessage(toStoredMessage(m));
    if (!opts.ack) continue;
    const confirmed = await m.ackAck({ timeout: conn.settings.timeoutMs }).catch(() => false);
    if (confirmed) result.acked++;
    else {
      throw new CliError(
        `the server did not confirm the ack of message ${m.seq} within the timeout; it may be delivered again`,
        ExitCode.Timeout,
      );
    }
  }
  return result;
}
