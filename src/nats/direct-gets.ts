// Reads of a key-value bucket's keys as direct gets answered on one shared inbox, for serve's
// timeline bucket (src/nats/timeline-bucket.ts): what nats.js's kv.get does per read, without a
// request (timer, promise chain, Error) each.

import type { KvEntry, Msg, NatsConnection } from "nats";
import { randomBytes } from "node:crypto";
import { natsError } from "./errors.js";

/**
 * Reads a key's last value with a direct get, answered on one shared inbox: any number of
 * reads may be awaited at once, each matched by the token ending its reply subject. nats.js's
 * kv.get makes a request per read (a timer, a promise chain, an Error for its stack): five
 * to seven times the client CPU of the read itself, measured over 20 000 reads (a first build
 * reads back every record a like changes that its cache lacks). Null: no such key.
 */
export function directReader(nc: NatsConnection, inboxPrefix: string, getPrefix: string) {
  const inbox = `${inboxPrefix}.${randomBytes(11).toString("hex")}.`;
  const waiting = new Map<number, { done(err: Error | null, m?: Msg): void; deadline: number }>();
  let next = 0;
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const [token, w] of waiting) {
      if (w.deadline > now) continue;
      waiting.delete(token);
      w.done(natsError("timeout", "TIMEOUT"));
    }
    if (waiting.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const sub = nc.subscribe(`${inbox}*`, {
    callback: (err, m) => {
      if (err) {
        const all = [...waiting.values()];
        waiting.clear();
        for (const w of all) w.done(err);
        return;
      }
      const token = Number(m.subject.slice(inbox.length));
      const w = waiting.get(token);
      if (!w) return; // timed out already
      waiting.delete(token);
      w.done(null, m);
    },
  });
  void sub.closed.then(() => {
    for (const w of waiting.values()) w.done(natsError("connection closed", "CONNECTION_CLOSED"));
    waiting.clear();
  });
  return (subject: string, timeoutMs: number) =>
    new Promise<Pick<KvEntry, "operation" | "revision" | "value"> | null>((resolve, reject) => {
      const token = ++next;
      const done = (err: Error | null, m?: Msg) => {
        if (err || !m) return reject(err);
        const status = m.headers?.code ?? 0;
        if (status === 404) return resolve(null);
        if (status === 503) return reject(natsError("no responders", "503"));
        const revision = Number(m.headers?.last("Nats-Sequence"));
        if (status !== 0 || !Number.isSafeInteger(revision) || revision < 1) {
          return reject(
            natsError(m.headers?.description || "invalid direct get answer", String(status)),
          );
        }
        const op = m.headers?.last("KV-Operation");
        const operation = op === "DEL" || op === "PURGE" ? op : "PUT";
        resolve({ operation, revision, value: m.data });
      };
      try {
        nc.publish(`${getPrefix}.${subject}`, undefined, { reply: inbox + token });
      } catch (err) {
        return reject(err);
      }
      waiting.set(token, { done, deadline: Date.now() + timeoutMs });
      sweeper ??= setInterval(sweep, Math.max(10, Math.min(250, timeoutMs / 4))).unref();
    });
}
