// A message as tweetstream holds it once read from a stream: what nats/messages.ts builds
// from a JsMsg, what the readers hand on, and what output/events.ts renders.

import { readStoredEvent, type StoredReading } from "../events.js";

/** A message as read from the stream (nats/messages.ts builds it from a JsMsg). */
export interface StoredMessage {
  stream: string;
  seq: number;
  subject: string;
  /** when the stream stored it */
  time: Date;
  data: Uint8Array;
  /** NATS headers, when the message has any */
  headers?: Record<string, string[]>;
  /** listen: how many times this message was delivered (1 the first time) */
  delivered?: number;
}

const decoder = new TextDecoder();

export function payloadText(msg: StoredMessage): string {
  return decoder.decode(msg.data);
}

/** The message read by the shared parser of every read path (events.ts readStoredEvent). */
export function readMessage(msg: StoredMessage): StoredReading {
  return readStoredEvent(msg.subject, msg.data);
}
