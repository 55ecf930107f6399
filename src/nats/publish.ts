// Publishing one message to JetStream with the guarantees every producer needs:
// it waits for the JetStream ack, carries a Nats-Msg-Id so a retry is never stored
// twice, and retries a timed-out publish with the same id before giving up.

import type { JetStreamClient, PubAck } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { JsErr, jsErrorCode, natsErrorCode, toCliError } from "./errors.js";

export interface PublishOutcome {
  stream: string;
  seq: number;
  /** the stream already had a message with this id inside its duplicate window */
  duplicate: boolean;
  subject: string;
}

export interface PublishOptions {
  msgID: string;
  /** per-attempt ack timeout, ms */
  timeoutMs: number;
  /** extra attempts after a timeout (same msgID), default 2 */
  retries?: number;
  /** refuse to store in any other stream (Nats-Expected-Stream) */
  expectStream?: string;
}

export function noStreamError(subject: string): CliError {
  // tweetstream's subjects are <STREAM>.<type>: name the stream to create
  const stream = subject.split(".")[0];
  return new CliError(
    `no stream stores subject ${subject}; create one with: tweetstream stream add ${stream}`,
    ExitCode.NotFound,
  );
}

export async function publishMessage(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  opts: PublishOptions,
): Promise<PublishOutcome> {
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      const ack: PubAck = await js.publish(subject, payload, {
        msgID: opts.msgID,
        timeout: opts.timeoutMs,
        ...(opts.expectStream ? { expect: { streamName: opts.expectStream } } : {}),
      });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate, subject };
    } catch (err) {
      const code = natsErrorCode(err);
      if (code === "503") throw noStreamError(subject);
      if (jsErrorCode(err) === JsErr.StreamNotMatch) {
        throw new CliError(
          `subject ${subject} is stored by another stream, not ${opts.expectStream}`,
          ExitCode.Conflict,
        );
      }
      const retryable = code === "TIMEOUT" || code === "DISCONNECT" || code === "CONNECTION_CLOSED";
      if (retryable && attempt < retries && code === "TIMEOUT") continue;
      if (code === "TIMEOUT") {
        throw new CliError(
          `no JetStream acknowledgement for ${subject} after ${attempt + 1} attempts; the event may not be stored (publishing again with the same id is safe)`,
          ExitCode.Timeout,
        );
      }
      throw toCliError(err, { phase: "request" });
    }
  }
}
