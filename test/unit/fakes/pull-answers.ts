// What a fake server sends on listen's pull inbox (src/nats/listen-pulls.ts): a message
// delivered for a pull (the delivery facts in its ack subject) and a status answering a
// pull on its reply subject, shaped as nats.js hands them to a subscription.

import type { Msg } from "nats";

/** A message of consumer `consumer` delivered for a pull; `pending`: what the consumer still holds after it. */
export function deliveredMessage(
  stream: string,
  consumer: string,
  seq: number,
  deliverySeq: number,
  pending: number,
  data = new Uint8Array(),
): Msg {
  return {
    subject: `${stream}.tweet_created`,
    data,
    headers: undefined,
    reply: `$JS.ACK.${stream}.${consumer}.1.${seq}.${deliverySeq}.1641592800000000000.${pending}`,
  } as unknown as Msg;
}

/** A status answering the pull `reply`; `left`: its Nats-Pending-Messages (what it will not bring). */
export function statusMessage(
  reply: string,
  code: number,
  description: string,
  left?: number,
): Msg {
  return {
    subject: reply,
    reply: "",
    data: new Uint8Array(),
    headers: {
      code,
      description,
      get: (k: string) => (k === "Nats-Pending-Messages" && left !== undefined ? String(left) : ""),
    },
  } as unknown as Msg;
}
