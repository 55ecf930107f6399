// Publishing to JetStream at the protocol's pace: each message a plain publish whose
// JetStream ack comes back on one shared subscription, matched by a token in its reply
// subject. nats.js's js.publish makes a request per message (a timer, a promise chain, an
// Error built for a stack trace, its own header handling): about three times the client
// CPU of the publish itself. The answers are shaped as nats.js shapes them (`code`,
// `api_error`), so errors.ts classifies them in the one place, and retry.ts retries them.
// One publisher per connection; it holds only the acks still awaited, in preallocated
// slots (a bulk run's lane allocates nothing of ours per publish).

import type { MsgHdrs, NatsConnection } from "nats";
import { randomBytes } from "node:crypto";

/** What the stream answered: where the message is stored. */
export interface JsAck {
  stream: string;
  seq: number;
  /** the stream already held a message with this Nats-Msg-Id */
  duplicate: boolean;
}

export interface AckedPublishOptions {
  /** no ack within this → a TIMEOUT error */
  timeoutMs: number;
  msgID?: string;
  /** Nats-Expected-Stream: refuse to store in any other stream */
  expectStream?: string;
  /** Nats-Expected-Last-Subject-Sequence (0: nothing stored on the subject yet) */
  expectLastSubjectSeq?: number;
}

/** How a publish ends: an error (shaped as nats.js shapes it), or the stream's ack. */
export type AckCallback = (err: Error | null, ack: JsAck | null) => void;

/** What every publish of a lane shares: its ack timeout and expected stream. */
export interface LaneOptions {
  /** no ack within this → a TIMEOUT error */
  timeoutMs: number;
  /** Nats-Expected-Stream: refuse to store in any other stream */
  expectStream?: string;
}

/** Many publishes of one kind: per publish only its subject, data, message id and tag. */
export interface AckedLane<T> {
  send(subject: string, data: Uint8Array, msgID: string, tag: T): void;
}

export interface AckedPublish {
  (subject: string, data: Uint8Array, opts: AckedPublishOptions): Promise<JsAck>;
  /**
   * The same without a promise: `done` is called once, from the ack's own callback. A bulk
   * run sends one per event, and a promise per event (and its microtask hops between the
   * ack and the next send) costs more than the publish.
   */
  send(subject: string, data: Uint8Array, opts: AckedPublishOptions, done: AckCallback): void;
  /**
   * A lane for a bulk run: one callback for all its publishes, told each one's `tag` (the
   * caller's own record of it) and when it was sent. Nothing is allocated per publish: no
   * callback, no options, no header set (the lane's is reused).
   */
  lane<T>(
    opts: LaneOptions,
    done: (err: Error | null, ack: JsAck | null, tag: T, sentAt: number) => void,
  ): AckedLane<T>;
}

/** An error as nats.js shapes it (src/nats/errors.ts maps it by `code` and `api_error`). */
function natsError(
  message: string,
  code: string,
  api?: { code: number; err_code?: number; description: string },
): Error {
  return Object.assign(new Error(message), { code, api_error: api });
}

const utf8 = new TextDecoder();

/** Parses one answer on the ack inbox the way js.publish would: an error, or the ack. */
function parseAnswer(status: number | undefined, data: Uint8Array): Error | JsAck {
  // no stream listens on the subject (or its leader is away)
  if (status === 503) return natsError("no responders", "503");
  let ack: {
    stream?: string;
    seq?: number;
    duplicate?: boolean;
    error?: { code: number; err_code?: number; description: string };
  };
  try {
    ack = JSON.parse(utf8.decode(data));
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
  if (ack.error) {
    const description = ack.error.description ?? "";
    return natsError(description.toLowerCase(), String(ack.error.code), ack.error);
  }
  if (!ack.stream) return natsError("invalid JetStream publish ack", "BAD_JSON");
  // the parsed answer itself, normalised (no object more per ack)
  ack.seq ??= 0;
  ack.duplicate = ack.duplicate === true;
  return ack as JsAck;
}

/** Where an awaited ack goes: a lane's callback with the publish's tag. */
interface Receiver {
  timeoutMs: number;
  settle(err: Error | null, ack: JsAck | null, tag: unknown, sentAt: number): void;
}

/** The callback form's receiver: the tag is the callback itself. */
const byCallback: Receiver = {
  timeoutMs: 0, // each publish has its own (its deadline is kept per publish)
  settle: (err, ack, tag) => (tag as AckCallback)(err, ack),
};

/** An awaited ack that lost its slot to a newer one (more in flight than the table holds). */
interface Overflow {
  token: number;
  deadline: number;
  receiver: Receiver;
  tag: unknown;
  subject: string;
}

/**
 * The publishes awaiting their ack, by token. A bulk run keeps a window of them in flight
 * and a waiter object (and its closures) per publish lived until its ack: at each scavenge
 * the window's were alive and promoted, ten times the raw publisher's promotions. Here a
 * token owns the slot `token & mask` of preallocated arrays: nothing is allocated per
 * publish. A slot still taken by an older token (a publish awaiting a late ack while the
 * others went on) sends that one to a map, or doubles the table when it is half full.
 */
class Pending {
  private size = 256;
  private tokens = new Float64Array(this.size); // 0: a free slot
  private deadlines = new Float64Array(this.size);
  private receivers: (Receiver | undefined)[] = new Array<Receiver | undefined>(this.size);
  private tags: unknown[] = new Array<unknown>(this.size);
  private subjects: (string | undefined)[] = new Array<string | undefined>(this.size);
  private overflow = new Map<number, Overflow>();
  count = 0;

  add(token: number, deadline: number, receiver: Receiver, tag: unknown, subject: string): void {
    let slot = token & (this.size - 1);
    if (this.tokens[slot] !== 0) {
      if (this.count >= this.size / 2) {
        this.grow();
        slot = token & (this.size - 1);
      }
      if (this.tokens[slot] !== 0) this.evict(slot);
    }
    this.tokens[slot] = token;
    this.deadlines[slot] = deadline;
    this.receivers[slot] = receiver;
    this.tags[slot] = tag;
    this.subjects[slot] = subject;
    this.count++;
  }

  /** Settles `token` with its answer; nothing when it is not awaited (any more). */
  settle(token: number, status: number | undefined, data: Uint8Array): void {
    const slot = token & (this.size - 1);
    if (this.tokens[slot] === token) {
      const receiver = this.receivers[slot]!;
      const tag = this.tags[slot];
      const sentAt = this.deadlines[slot]! - receiver.timeoutMs;
      this.free(slot);
      return deliver(receiver, tag, sentAt, parseAnswer(status, data));
    }
    const o = this.overflow.get(token);
    if (!o) return; // timed out already, or answered twice
    this.overflow.delete(token);
    this.count--;
    deliver(o.receiver, o.tag, o.deadline - o.receiver.timeoutMs, parseAnswer(status, data));
  }

  /** Removes and returns the awaited publishes that `pick` chooses, oldest first. */
  take(pick: (deadline: number, subject: string) => boolean, first = false): Overflow[] {
    const out: Overflow[] = [];
    for (const o of this.overflow.values()) if (pick(o.deadline, o.subject)) out.push(o);
    for (let slot = 0; slot < this.size; slot++) {
      if (this.tokens[slot] === 0 || !pick(this.deadlines[slot]!, this.subjects[slot]!)) continue;
      out.push(this.entry(slot));
    }
    out.sort((a, b) => a.token - b.token);
    const taken = first ? out.slice(0, 1) : out;
    for (const o of taken) {
      const slot = o.token & (this.size - 1);
      if (this.tokens[slot] === o.token) this.free(slot);
      else if (this.overflow.delete(o.token)) this.count--;
    }
    return taken;
  }

  private entry(slot: number): Overflow {
    return {
      token: this.tokens[slot]!,
      deadline: this.deadlines[slot]!,
      receiver: this.receivers[slot]!,
      tag: this.tags[slot],
      subject: this.subjects[slot]!,
    };
  }

  private free(slot: number): void {
    this.tokens[slot] = 0;
    this.receivers[slot] = undefined;
    this.tags[slot] = undefined;
    this.subjects[slot] = undefined;
    this.count--;
  }

  private evict(slot: number): void {
    const o = this.entry(slot);
    this.free(slot);
    this.count++; // still awaited, in the map
    this.overflow.set(o.token, o);
  }

  private grow(): void {
    const entries: Overflow[] = [...this.overflow.values()];
    for (let slot = 0; slot < this.size; slot++)
      if (this.tokens[slot] !== 0) entries.push(this.entry(slot));
    this.size *= 2;
    this.tokens = new Float64Array(this.size);
    this.deadlines = new Float64Array(this.size);
    this.receivers = new Array<Receiver | undefined>(this.size);
    this.tags = new Array<unknown>(this.size);
    this.subjects = new Array<string | undefined>(this.size);
    this.overflow = new Map();
    this.count = 0;
    entries.sort((a, b) => a.token - b.token);
    for (const o of entries) this.add(o.token, o.deadline, o.receiver, o.tag, o.subject);
  }
}

function deliver(receiver: Receiver, tag: unknown, sentAt: number, answer: Error | JsAck): void {
  if (answer instanceof Error) receiver.settle(answer, null, tag, sentAt);
  else receiver.settle(null, answer, tag, sentAt);
}

/** The number ending a reply subject after `prefix`, read without a string more. */
function tokenOf(subject: string, prefix: number): number {
  let token = 0;
  for (let i = prefix; i < subject.length; i++) {
    const digit = subject.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return 0;
    token = token * 10 + digit;
  }
  return token;
}

/**
 * A pipelined publisher on `nc`: any number of publishes may await their ack at once.
 * `headers` is nats.js's header factory (passed in so that this module loads no client).
 */
export function ackedPublisher(
  nc: NatsConnection,
  inboxPrefix: string,
  headers: () => MsgHdrs,
): AckedPublish {
  const inbox = `${inboxPrefix}.${randomBytes(11).toString("hex")}.`;
  const pending = new Pending();
  let next = 0;
  let sweeper: NodeJS.Timeout | undefined;
  const fail = (all: Overflow[], err: () => Error) => {
    for (const o of all) o.receiver.settle(err(), null, o.tag, o.deadline - o.receiver.timeoutMs);
  };
  const sweep = () => {
    const now = Date.now();
    fail(
      pending.take((deadline) => deadline <= now),
      () => natsError("timeout", "TIMEOUT"),
    );
    if (pending.count === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const rejectAll = (err: Error) =>
    fail(
      pending.take(() => true),
      () => err,
    );
  const sub = nc.subscribe(`${inbox}*`, {
    callback: (err, m) => {
      // the ack inbox may not be subscribed to (permissions): no ack will come
      if (err) return rejectAll(err);
      pending.settle(tokenOf(m.subject, inbox.length), m.headers?.code, m.data);
    },
  });
  // the connection closed: nothing awaited will be answered
  void sub.closed.then(() => rejectAll(natsError("connection closed", "CONNECTION_CLOSED")));
  // A publish the user may not make gets no ack: the server says so on the connection, one
  // error per publish refused, as nats.js reports it to a request on that subject.
  void (async () => {
    for await (const s of nc.status()) {
      // moved to another server (a failover): what was sent to the old one may never be
      // answered; a transient timeout, retried at once with the same message id
      if (s.type === "reconnect") {
        rejectAll(natsError("the connection moved to another server before the ack", "TIMEOUT"));
        continue;
      }
      const denied = s.permissionContext;
      if (s.data !== "PERMISSIONS_VIOLATION" || denied?.operation !== "publish") continue;
      // the oldest publish to that subject is the one refused
      const [refused] = pending.take((_, subject) => subject === denied.subject, true);
      if (!refused) continue;
      const message = `Permissions Violation for Publish to "${denied.subject}"`;
      const err = Object.assign(natsError(message, "PERMISSIONS_VIOLATION"), {
        permissionContext: denied,
      });
      fail([refused], () => err);
    }
  })().catch(() => undefined);
  // The headers of the common shape (a message id, maybe an expected stream) are one set
  // reused, its id replaced per message: nc.publish encodes them before it returns. A new
  // set per message was a Map and the expected stream validated again for every event.
  let shared: MsgHdrs | undefined;
  let sharedStream: string | undefined;
  const headersFor = (opts: AckedPublishOptions): MsgHdrs => {
    if (!opts.msgID || opts.expectLastSubjectSeq !== undefined) {
      const h = headers();
      if (opts.msgID) h.set("Nats-Msg-Id", opts.msgID);
      if (opts.expectStream) h.set("Nats-Expected-Stream", opts.expectStream);
      if (opts.expectLastSubjectSeq !== undefined)
        h.set("Nats-Expected-Last-Subject-Sequence", String(opts.expectLastSubjectSeq));
      return h;
    }
    if (shared === undefined || sharedStream !== opts.expectStream) {
      shared = headers();
      if (opts.expectStream) shared.set("Nats-Expected-Stream", opts.expectStream);
      sharedStream = opts.expectStream;
    }
    shared.set("Nats-Msg-Id", opts.msgID);
    return shared;
  };
  /** Sends one publish; false (and `receiver` told) when nats.js refused it at once. */
  const sendOne = (
    subject: string,
    data: Uint8Array,
    h: MsgHdrs,
    timeoutMs: number,
    receiver: Receiver,
    tag: unknown,
  ) => {
    const token = ++next;
    const sentAt = Date.now();
    try {
      nc.publish(subject, data, { reply: inbox + token, headers: h });
    } catch (err) {
      return receiver.settle(
        err instanceof Error ? err : new Error(String(err)),
        null,
        tag,
        sentAt,
      );
    }
    pending.add(token, sentAt + timeoutMs, receiver, tag, subject);
    // a quarter of the timeout: an ack is given up at most 25% late
    sweeper ??= setInterval(sweep, Math.max(10, Math.min(250, timeoutMs / 4))).unref();
  };
  const send: AckedPublish["send"] = (subject, data, opts, done) =>
    sendOne(subject, data, headersFor(opts), opts.timeoutMs, byCallback, done);
  const lane: AckedPublish["lane"] = <T>(
    opts: LaneOptions,
    done: (err: Error | null, ack: JsAck | null, tag: T, sentAt: number) => void,
  ) => {
    const receiver: Receiver = {
      timeoutMs: opts.timeoutMs,
      settle: done as Receiver["settle"],
    };
    // the lane's own header set: only its message id changes from one publish to the next
    const h = headers();
    if (opts.expectStream) h.set("Nats-Expected-Stream", opts.expectStream);
    return {
      send(subject: string, data: Uint8Array, msgID: string, tag: T) {
        h.set("Nats-Msg-Id", msgID);
        sendOne(subject, data, h, opts.timeoutMs, receiver, tag);
      },
    };
  };
  const publish = (subject: string, data: Uint8Array, opts: AckedPublishOptions) =>
    new Promise<JsAck>((resolve, reject) =>
      send(subject, data, opts, (err, ack) => (err ? reject(err) : resolve(ack!))),
    );
  return Object.assign(publish, { send, lane });
}

const byConnection = new WeakMap<NatsConnection, AckedPublish>();

/** The one acked publisher of a connection (created on first use). */
export async function connectionPublisher(
  nc: NatsConnection,
  inboxPrefix = "_INBOX",
): Promise<AckedPublish> {
  let p = byConnection.get(nc);
  if (!p) {
    const { headers } = await import("nats");
    p = byConnection.get(nc) ?? ackedPublisher(nc, inboxPrefix, headers);
    byConnection.set(nc, p);
  }
  return p;
}
