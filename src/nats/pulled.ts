// A message listen pulled on its inbox (listen-pulls.ts), read from the plain message the
// client received: the delivery facts come from its ack subject ($JS.ACK.…), as nats.js's
// JsMsg takes them, parsed once, with only what listen uses. It satisfies what
// toStoredMessage (messages.ts) and the ack ledger (acks.ts) read of a message. This runs
// for every event of a backlog: the facts are the message's own fields (`info` is the
// message itself), and the numbers are read from the subject without splitting it.

import type { Msg, MsgHdrs, NatsConnection } from "nats";

const NAK = new TextEncoder().encode("-NAK");
const ACK_PREFIX = "$JS.ACK.";

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

/** where the dots of the last ack subject are (reused: no array per message) */
const dots: number[] = [];
/** the last ack subject's `<stream>.<consumer>.` part and its names (the same for a whole run) */
let lastNames = { prefix: "", stream: "", consumer: "" };

/** the decimal number s[from, to), or NaN */
function decimal(s: string, from: number, to: number): number {
  if (from >= to) return NaN;
  let x = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    x = x * 10 + c;
  }
  return x;
}

export class PulledMessage implements PulledInfo {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  /** the ack subject: where its ack or nak goes */
  readonly reply: string;
  stream = "";
  consumer = "";
  deliveryCount = 0;
  redelivered = false;
  streamSequence = 0;
  deliverySequence = 0;
  timestampNanos = 0;
  pending = 0;

  private constructor(
    m: Msg,
    reply: string,
    private readonly nc: NatsConnection,
  ) {
    this.subject = m.subject;
    this.data = m.data;
    this.headers = m.headers;
    this.reply = reply;
  }

  /**
   * The message, or null when its reply is not an ack subject: the old form
   * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>` or the form
   * with a domain and an account hash after `$JS.ACK` (and a random token at the end).
   */
  static from(m: Msg, nc: NatsConnection): PulledMessage | null {
    const r = m.reply;
    if (!r || !r.startsWith(ACK_PREFIX)) return null;
    let n = 0;
    for (let at = r.indexOf(".", ACK_PREFIX.length); at !== -1 && n < 12; n++) {
      dots[n] = at;
      at = r.indexOf(".", at + 1);
    }
    // the tokens after $JS.ACK: 7 (old form) or 9 and more; `d`: the dot before <stream>
    const tokens = n + 1;
    let d: number;
    if (tokens === 7) d = ACK_PREFIX.length - 1;
    else if (tokens >= 9) d = dots[1]!;
    else return null;
    const at = tokens === 7 ? -1 : 1; // dots[at + k] ends the k-th token after the account
    const end = (k: number) => (at + k < n ? dots[at + k]! : r.length);
    const msg = new PulledMessage(m, r, nc);
    const names = end(2) + 1;
    if (r.startsWith(lastNames.prefix, d + 1) && lastNames.prefix.length === names - d - 1) {
      msg.stream = lastNames.stream;
      msg.consumer = lastNames.consumer;
    } else {
      msg.stream = r.slice(d + 1, end(1));
      msg.consumer = r.slice(end(1) + 1, end(2));
      lastNames = { prefix: r.slice(d + 1, names), stream: msg.stream, consumer: msg.consumer };
    }
    msg.deliveryCount = decimal(r, end(2) + 1, end(3));
    msg.redelivered = msg.deliveryCount > 1;
    msg.streamSequence = decimal(r, end(3) + 1, end(4));
    msg.deliverySequence = decimal(r, end(4) + 1, end(5));
    // nanoseconds since 1970 pass 2^53: read as Number reads them, not digit by digit
    msg.timestampNanos = Number(r.slice(end(5) + 1, end(6)));
    msg.pending = decimal(r, end(6) + 1, end(7));
    return msg;
  }

  /** what the ack subject says (the message's own fields) */
  get info(): PulledInfo {
    return this;
  }

  get seq(): number {
    return this.streamSequence;
  }

  /** handed back: the server may deliver it again at once */
  nak(): void {
    this.nc.publish(this.reply, NAK);
  }
}
