// Publishing to JetStream at the protocol's pace: each message a plain publish whose
// JetStream ack comes back on one shared subscription, matched by a token in its reply
// subject. nats.js's js.publish makes a request per message (a timer, a promise chain, an
// Error built for a stack trace, its own header handling): about three times the client
// CPU of the publish itself. The answers are shaped as nats.js shapes them (`code`,
// `api_error`), so errors.ts classifies them in the one place, and retry.ts retries them.
// One publisher per connection; it holds only the acks still awaited.

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

export interface AckedPublish {
  (subject: string, data: Uint8Array, opts: AckedPublishOptions): Promise<JsAck>;
  /**
   * The same without a promise: `done` is called once, from the ack's own callback. A bulk
   * run sends one per event, and a promise per event (and its microtask hops between the
   * ack and the next send) costs more than the publish.
   */
  send(subject: string, data: Uint8Array, opts: AckedPublishOptions, done: AckCallback): void;
}

/** An error as nats.js shapes it (src/nats/errors.ts maps it by `code` and `api_error`). */
function natsError(
  message: string,
  code: string,
  api?: { code: number; err_code?: number; description: string },
): Error {
  return Object.assign(new Error(message), { code, api_error: api });
}

interface Waiter {
  done: AckCallback;
  deadline: number;
  subject: string;
}

const utf8 = new TextDecoder();

/** Parses one answer on the ack inbox the way js.publish would. */
function settle(w: Waiter, status: number | undefined, data: Uint8Array): void {
  // no stream listens on the subject (or its leader is away)
  if (status === 503) return w.done(natsError("no responders", "503"), null);
  let ack: {
    stream?: string;
    seq?: number;
    duplicate?: boolean;
    error?: { code: number; err_code?: number; description: string };
  };
  try {
    ack = JSON.parse(utf8.decode(data));
  } catch (e) {
    return w.done(e instanceof Error ? e : new Error(String(e)), null);
  }
  if (ack.error) {
    const description = ack.error.description ?? "";
    return w.done(natsError(description.toLowerCase(), String(ack.error.code), ack.error), null);
  }
  if (!ack.stream) return w.done(natsError("invalid JetStream publish ack", "BAD_JSON"), null);
  // the parsed answer itself, normalised (no object more per ack)
  ack.seq ??= 0;
  ack.duplicate = ack.duplicate === true;
  w.done(null, ack as JsAck);
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
  // by the number ending the reply subject (a number key hashes without a string)
  const waiting = new Map<number, Waiter>();
  let next = 0;
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const [token, w] of waiting) {
      if (w.deadline > now) continue;
      waiting.delete(token);
      w.done(natsError("timeout", "TIMEOUT"), null);
    }
    if (waiting.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const rejectAll = (err: Error) => {
    const all = [...waiting.values()];
    waiting.clear();
    for (const w of all) w.done(err, null);
  };
  const sub = nc.subscribe(`${inbox}*`, {
    callback: (err, m) => {
      // the ack inbox may not be subscribed to (permissions): no ack will come
      if (err) return rejectAll(err);
      const token = Number(m.subject.slice(inbox.length));
      const w = waiting.get(token);
      if (!w) return; // timed out already
      waiting.delete(token);
      settle(w, m.headers?.code, m.data);
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
      for (const [token, w] of waiting) {
        if (w.subject !== denied.subject) continue;
        waiting.delete(token);
        const message = `Permissions Violation for Publish to "${denied.subject}"`;
        w.done(
          Object.assign(natsError(message, "PERMISSIONS_VIOLATION"), { permissionContext: denied }),
          null,
        );
        break;
      }
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
  const send: AckedPublish["send"] = (subject, data, opts, done) => {
    const token = ++next;
    const h = headersFor(opts);
    try {
      nc.publish(subject, data, { reply: inbox + token, headers: h });
    } catch (err) {
      return done(err instanceof Error ? err : new Error(String(err)), null);
    }
    waiting.set(token, { done, deadline: Date.now() + opts.timeoutMs, subject });
    // a quarter of the timeout: an ack is given up at most 25% late
    sweeper ??= setInterval(sweep, Math.max(10, Math.min(250, opts.timeoutMs / 4))).unref();
  };
  const publish = (subject: string, data: Uint8Array, opts: AckedPublishOptions) =>
    new Promise<JsAck>((resolve, reject) =>
      send(subject, data, opts, (err, ack) => (err ? reject(err) : resolve(ack!))),
    );
  return Object.assign(publish, { send });
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
