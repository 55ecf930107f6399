// The confirming acks of listen's bursts (acks.ts), answered on one inbox of the run's: the
// last ack of a burst is published with a reply subject on that inbox, as nats.js's request
// publishes it, without what its request costs each time (an Error made for its stack, a
// timer, a promise chain); the unanswered ones are timed out by one timer, armed for the
// oldest. Answers as nats.js's request reads them: an empty 503 is "no responders", anything
// else confirms. An ack the server refuses (permissions) is reported by the client as a
// status naming the subject refused: the confirmation waiting on that subject fails with
// PERMISSIONS_VIOLATION, as nats.js's request fails, and listen stops with exit 3.

import type { Msg, NatsConnection } from "nats";
import { randomBytes } from "node:crypto";
import { natsError } from "./errors.js";
import { onStatus } from "./status.js";

export interface Confirmations {
  /**
   * Publishes `data` to `subject` and resolves once answered; rejects as nats.js's request
   * does (TIMEOUT, 503, PERMISSIONS_VIOLATION, CONNECTION_CLOSED).
   */
  request(subject: string, data: Uint8Array): Promise<void>;
  /** the end of the run (or of its consumer): the inbox unsubscribed, nothing waits any more */
  close(): void;
}

interface Waiting {
  subject: string;
  deadline: number;
  resolve(): void;
  reject(err: Error): void;
}

export function confirmationsOn(
  nc: NatsConnection,
  inboxPrefix: string,
  timeoutMs: number,
): Confirmations {
  const inbox = `${inboxPrefix}.${randomBytes(11).toString("hex")}.`;
  /** by token, in the order sent: the same timeout for all, so the oldest deadline first */
  const waiting = new Map<number, Waiting>();
  let token = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const failAll = (err: Error) => {
    const all = [...waiting.values()];
    waiting.clear();
    for (const w of all) w.reject(err);
  };
  const arm = () => {
    if (timer !== undefined || closed) return;
    const oldest = waiting.values().next();
    if (oldest.done) return;
    timer = setTimeout(sweep, Math.max(0, oldest.value.deadline - Date.now())).unref();
  };
  const sweep = () => {
    timer = undefined;
    const now = Date.now();
    for (const [t, w] of waiting) {
      if (w.deadline > now) break;
      waiting.delete(t);
      w.reject(natsError("timeout", "TIMEOUT"));
    }
    arm();
  };
  const answer = (m: Msg) => {
    const t = Number(m.subject.slice(inbox.length));
    const w = waiting.get(t);
    if (!w) return; // timed out already
    waiting.delete(t);
    if (m.data.length === 0 && m.headers?.code === 503) w.reject(natsError("no responders", "503"));
    else w.resolve();
  };
  const sub = nc.subscribe(`${inbox}*`, {
    // the inbox may not be subscribed to (permissions): nothing will be answered
    callback: (err, m) => (err ? failAll(err) : answer(m)),
  });
  void sub.closed.then(() => failAll(natsError("connection closed", "CONNECTION_CLOSED")));
  // a refused publish is reported by the client as a status, with the subject refused; the
  // watch ends with close() (a listener recreating its consumer makes a set each time)
  const stopWatch = onStatus(nc, (s) => {
    const refused = s.permissionContext;
    if (s.type !== "error" || refused?.operation !== "publish") return;
    for (const [t, w] of waiting) {
      if (w.subject !== refused.subject) continue;
      waiting.delete(t);
      w.reject(
        natsError(
          `Permissions Violation for Publish to ${refused.subject}`,
          "PERMISSIONS_VIOLATION",
        ),
      );
    }
  });

  return {
    request(subject, data) {
      return new Promise<void>((resolve, reject) => {
        if (closed) return reject(natsError("connection closed", "CONNECTION_CLOSED"));
        const t = ++token;
        try {
          nc.publish(subject, data, { reply: inbox + t });
        } catch (err) {
          return reject(err as Error);
        }
        waiting.set(t, { subject, deadline: Date.now() + timeoutMs, resolve, reject });
        arm();
      });
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      sub.unsubscribe();
      stopWatch();
      failAll(natsError("connection closed", "CONNECTION_CLOSED"));
    },
  };
}
