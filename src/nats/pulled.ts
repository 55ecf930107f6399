// A message listen pulled on its inbox (listen-pulls.ts), read from the plain message the
// client received: the delivery facts come from its ack subject ($JS.ACK.…), as nats.js's
// JsMsg takes them, parsed once, with only what listen uses. It satisfies what
// toStoredMessage (messages.ts) and the ack ledger (acks.ts) read of a message.

import type { Msg, MsgHdrs, NatsConnection } from "nats";

const NAK = new TextEncoder().encode("-NAK");

/** What the ack subject says of a delivery. */
export interface PulledInfo {
  stream: string;
  consumer: string;
  /** times delivered, this one included */
  deliveryCount: number;
  redelivered: boolean;
  streamSequence: number;
  /** the consumer's delivery sequence */
  deliverySequence: number;
  timestampNanos: number;
  /** messages the consumer still had to deliver after this one */
  pending: number;
}

export class PulledMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  /** the ack subject: where its ack or nak goes */
  readonly reply: string;
  readonly info: PulledInfo;

  constructor(
    m: Msg,
    info: PulledInfo,
    private readonly nc: NatsConnection,
  ) {
    this.subject = m.subject;
    this.data = m.data;
    this.headers = m.headers;
    this.reply = m.reply ?? "";
    this.info = info;
  }

  get seq(): number {
    return this.info.streamSequence;
  }

  /** handed back: the server may deliver it again at once */
  nak(): void {
    this.nc.publish(this.reply, NAK);
  }
}

/**
 * The delivery facts of an ack subject, or null when it is not one: the old form
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>` and the form with
 * a domain and an account hash after `$JS.ACK` (and a random token at the end).
 */
export function parseAckSubject(reply: string | undefined): PulledInfo | null {
  if (!reply || !reply.startsWith("$JS.ACK.")) return null;
  const t = reply.split(".");
  let i: number;
  if (t.length === 9) i = 2;
  else if (t.length >= 11) i = 4;
  else return null;
  const deliveryCount = Number(t[i + 2]);
  return {
    stream: t[i]!,
    consumer: t[i + 1]!,
    deliveryCount,
    redelivered: deliveryCount > 1,
    streamSequence: Number(t[i + 3]),
    deliverySequence: Number(t[i + 4]),
    timestampNanos: Number(t[i + 5]),
    pending: Number(t[i + 6]),
  };
}
