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
import { natsError } from "./errors.js";
import { PendingAcks, type AwaitedAck, type Receiver } from "./pending-acks.js";
import { onStatus } from "./status.js";

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
  /**
   * Nats-Expected-Last-Sequence: refuse unless the stream's last message is this one (a
   * batch sent unacknowledged is confirmed by the next acked write saying where it ends)
   */
  expectLastSeq?: number;
}

/** Many publishes of one kind: per publish only its subject, data, message id and tag. */
export interface AckedLane<T> {
  send(subject: string, data: Uint8Array, msgID: string, tag: T): void;
}

/** Many compare-and-set publishes: per publish its subject, data, expected revision and tag. */
export interface CasLane<T> {
  /** stores `data` only if the last message on `subject` is still `expected` (0: none) */
  send(subject: string, data: Uint8Array, expected: number, tag: T): void;
}

/**
 * Compare-and-set publishes sent without a reply subject: the stream answers nothing, so
 * nothing is awaited or held. The caller confirms them by an acked write after them
 * (`expectLastSeq`); one refused is only seen there, as a stream that ends elsewhere.
 */
export interface UnackedCasLane {
  /** false when the client refused it at once (closed connection, too large) */
  send(subject: string, data: Uint8Array, expected: number): boolean;
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
  /**
   * A lane of compare-and-set writes (a key-value bucket's records): the same, with
   * Nats-Expected-Last-Subject-Sequence instead of a message id, set in the lane's one
   * header set only when it differs from the publish before (a run of new keys: never).
   */
  casLane<T>(
    opts: LaneOptions,
    done: (err: Error | null, ack: JsAck | null, tag: T, sentAt: number) => void,
  ): CasLane<T>;
}

const utf8 = new TextDecoder();
const ACK_START = new TextEncoder().encode('{"stream":"');
const ACK_SEQ = new TextEncoder().encode('","seq":');
/** the stream named by the last ack read quickly, as bytes and as text */
let lastStream = { bytes: new Uint8Array(0), text: "" };

/** True when `data` holds `part` at `at`. */
function bytesAt(data: Uint8Array, at: number, part: Uint8Array): boolean {
  if (at + part.length > data.length) return false;
  for (let i = 0; i < part.length; i++) if (data[at + i] !== part[i]) return false;
  return true;
}

/**
 * The usual ack, `{"stream":"<name>","seq":<n>}` exactly, read from its bytes: no string
 * decoded (the stream's name is the one before, almost always), no JSON.parse. Anything
 * else (a duplicate, a domain, an error, an escape in the name) is left to JSON.parse.
 */
function quickAck(data: Uint8Array): JsAck | undefined {
  const last = data.length - 1;
  if (data[last] !== 0x7d /* } */ || !bytesAt(data, 0, ACK_START)) return undefined;
  let i = ACK_START.length;
  while (i < last && data[i] !== 0x22 /* " */) if (data[i++] === 0x5c /* \ */) return undefined;
  const name = data.subarray(ACK_START.length, i);
  if (!bytesAt(data, i, ACK_SEQ)) return undefined;
  i += ACK_SEQ.length;
  if (i === last) return undefined;
  let seq = 0;
  for (; i < last; i++) {
    const digit = data[i]! - 48;
    if (digit < 0 || digit > 9) return undefined;
    seq = seq * 10 + digit;
  }
  if (!Number.isSafeInteger(seq) || name.length === 0) return undefined;
  if (!bytesAt(name, 0, lastStream.bytes) || name.length !== lastStream.bytes.length) {
    lastStream = { bytes: name.slice(), text: utf8.decode(name) };
  }
  return { stream: lastStream.text, seq, duplicate: false };
}

/** Parses one answer on the ack inbox the way js.publish would: an error, or the ack. */
function parseAnswer(status: number | undefined, data: Uint8Array): Error | JsAck {
  // no stream listens on the subject (or its leader is away)
  if (status === 503) return natsError("no responders", "503");
  const quick = quickAck(data);
  if (quick) return quick;
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

/** The callback form's receiver: the tag is the callback itself. */
const byCallback: Receiver<JsAck> = {
  timeoutMs: 0, // each publish has its own (its deadline is kept per publish)
  settle: (err, ack, tag) => (tag as AckCallback)(err, ack),
};

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
  const pending = new PendingAcks<JsAck>(parseAnswer);
  let next = 0;
  let sweeper: NodeJS.Timeout | undefined;
  const fail = (all: AwaitedAck<JsAck>[], err: () => Error) => {
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
  // error per publish refused, as nats.js reports it to a request on that subject. One watch
  // for the connection's life: one publisher per connection, and nats.js ends the watch
  // when the connection closes.
  onStatus(nc, (s) => {
    // moved to another server (a failover): what was sent to the old one may never be
    // answered; a transient timeout, retried at once with the same message id
    if (s.type === "reconnect") {
      rejectAll(natsError("the connection moved to another server before the ack", "TIMEOUT"));
      return;
    }
    const denied = s.permissionContext;
    if (s.data !== "PERMISSIONS_VIOLATION" || denied?.operation !== "publish") return;
    // the oldest publish to that subject is the one refused
    const [refused] = pending.take((_, subject) => subject === denied.subject, true);
    if (!refused) return;
    const message = `Permissions Violation for Publish to "${denied.subject}"`;
    const err = Object.assign(natsError(message, "PERMISSIONS_VIOLATION"), {
      permissionContext: denied,
    });
    fail([refused], () => err);
  });
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
    receiver: Receiver<JsAck>,
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
  /** A lane's receiver (its one callback) and its own header set, reused for every publish. */
  const laneOf = (opts: LaneOptions, done: Receiver<JsAck>["settle"]) => {
    const receiver: Receiver<JsAck> = { timeoutMs: opts.timeoutMs, settle: done };
    const h = headers();
    if (opts.expectStream) h.set("Nats-Expected-Stream", opts.expectStream);
    if (opts.expectLastSeq !== undefined) {
      h.set("Nats-Expected-Last-Sequence", String(opts.expectLastSeq));
    }
    return {
      h,
      go: (subject: string, data: Uint8Array, tag: unknown) =>
        sendOne(subject, data, h, opts.timeoutMs, receiver, tag),
    };
  };
  const lane: AckedPublish["lane"] = (opts, done) => {
    // only its message id changes from one publish to the next
    const { h, go } = laneOf(opts, done as Receiver<JsAck>["settle"]);
    return {
      send(subject, data, msgID, tag) {
        h.set("Nats-Msg-Id", msgID);
        go(subject, data, tag);
      },
    };
  };
  const casLane: AckedPublish["casLane"] = (opts, done) => {
    const { h, go } = laneOf(opts, done as Receiver<JsAck>["settle"]);
    const expect = casHeader(h);
    return {
      send(subject, data, expected, tag) {
        expect(expected);
        go(subject, data, tag);
      },
    };
  };
  const publish = (subject: string, data: Uint8Array, opts: AckedPublishOptions) =>
    new Promise<JsAck>((resolve, reject) =>
      send(subject, data, opts, (err, ack) => (err ? reject(err) : resolve(ack!))),
    );
  return Object.assign(publish, { send, lane, casLane });
}

/** Sets Nats-Expected-Last-Subject-Sequence in `h` only when it differs from the last. */
function casHeader(h: MsgHdrs): (expected: number) => void {
  let last = -1;
  return (expected) => {
    if (expected === last) return;
    h.set("Nats-Expected-Last-Subject-Sequence", String(expected));
    last = expected;
  };
}

/**
 * A compare-and-set lane without acks on `nc` (see UnackedCasLane): `h` is its one header set
 * (nats.js's `headers()`, with Nats-Expected-Stream if wanted), only its expected revision
 * changed from one publish to the next.
 */
export function unackedCasLane(nc: NatsConnection, h: MsgHdrs): UnackedCasLane {
  const expect = casHeader(h);
  return {
    send(subject, data, expected) {
      expect(expected);
      try {
        nc.publish(subject, data, { headers: h });
        return true;
      } catch {
        return false;
      }
    },
  };
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
