// A view bucket in memory (the TimelineBucket interface of src/nats/timeline-bucket.ts): raw
// strings per key, compare-and-set on one revision counter (the stream's last sequence),
// checks applied on read as the real bucket applies them. Writes go through the real
// src/nats/bucket-writes.ts over a fake server side: acked writes answered a moment later,
// unacked ones stored at once, each checked as JetStream checks them (the key's last
// sequence, the stream's last sequence); `server` can drop an unacked write, store a
// foreign write before one, or refuse one, and answer an acked write as a server whose
// stream is not reachable yet ("no responders") or slow (a timeout) would. For unit tests of
// the timeline without nats-server.

import type { AckedPublish, UnackedCasLane } from "../../../src/nats/acked-publish.js";
import { bucketWrites } from "../../../src/nats/bucket-writes.js";
import { natsError } from "../../../src/nats/errors.js";
import {
  checkedValue,
  RevisionConflict,
  type ValueCheck,
  type TimelineBucket,
} from "../../../src/nats/timeline-bucket.js";

const EDIT = "$KV.mem.";

/** `budgetMs`: how long a write answered "no responders" is sent again (bucket-writes.ts) */
export function memoryBucket({ budgetMs = 3000 } = {}) {
  const keys = new Map<string, { raw: string; revision: number }>();
  let seq = 0;
  let writes = 0;
  const decode = (data: Uint8Array) => Buffer.from(data).toString("utf8");
  /** stores `data` at `subject`'s key as JetStream would: an error when a check fails */
  const store = (subject: string, data: Uint8Array, expected: number, lastSeq?: number) => {
    const key = subject.slice(EDIT.length);
    if ((keys.get(key)?.revision ?? 0) !== expected) return new RevisionConflict(key);
    if (lastSeq !== undefined && lastSeq !== seq) return new RevisionConflict("(last sequence)");
    writes++;
    keys.set(key, { raw: decode(data), revision: ++seq });
    return seq;
  };
  /** what the fake server does to the next unacked write (its subject's key is given) */
  const server: {
    unacked?(key: string, n: number): "drop" | "foreign" | "client" | "rival" | undefined;
    /** sent without an ack so far */
    sent: number;
    /** how the next acked write (the `n`th, from 0) is answered when not stored */
    acked?(key: string, n: number): "no responders" | "timeout" | undefined;
    /** acked writes sent so far, by key */
    ackedSent: Map<string, number>;
    bulk: boolean;
  } = { sent: 0, ackedSent: new Map(), bulk: true };
  let ackedN = 0;
  const casLane = <T>(
    opts: { expectLastSeq?: number },
    done: (
      err: Error | null,
      ack: { stream: string; seq: number; duplicate: boolean } | null,
      tag: T,
      at: number,
    ) => void,
  ) => ({
    send(subject: string, data: Uint8Array, expected: number, tag: T) {
      const key = subject.slice(EDIT.length);
      server.ackedSent.set(key, (server.ackedSent.get(key) ?? 0) + 1);
      // as acked-publish.ts shapes them: an empty 503 status, or no answer in time
      const lost = server.acked?.(key, ackedN++);
      const result =
        lost === "no responders"
          ? natsError("no responders", "503")
          : lost === "timeout"
            ? natsError("timeout", "TIMEOUT")
            : store(subject, data, expected, opts.expectLastSeq);
      void Promise.resolve().then(() =>
        typeof result === "number"
          ? done(null, { stream: "KV_mem", seq: result, duplicate: false }, tag, 0)
          : done(result, null, tag, 0),
      );
    },
  });
  const unacked = (): UnackedCasLane => ({
    send(subject, data, expected) {
      const key = subject.slice(EDIT.length);
      const n = server.sent++;
      const what = server.unacked?.(key, n);
      // lost on the way (the client thinks it sent it), or refused by the client at once
      if (what === "drop" || what === "client") return what === "drop";
      // another client writes a key of its own in the bucket just before
      if (what === "foreign") put(`foreign.${n}`, "{}");
      // a second writer stores this very key again as it was (older than ours) just before:
      // ours is refused, and the count of messages stored is what the writer expects
      if (what === "rival") put(key, keys.get(key)?.raw ?? "{}");
      store(subject, data, expected);
      return true;
    },
  });
  const writer = bucketWrites({
    publish: { casLane } as unknown as AckedPublish,
    unacked,
    editPrefix: EDIT,
    timeoutMs: 1000,
    budgetMs,
    encode: (v) => Buffer.from(JSON.stringify(v), "utf8"),
    maxPayload: () => 1024 * 1024,
    refused: (_item, _data, err) => Promise.reject(err),
    bulk: () => server.bulk,
  });
  const bucket: TimelineBucket = {
    name: "mem",
    async get<T>(key: string, check: ValueCheck<T>) {
      const e = keys.get(key);
      if (!e) return null;
      return checkedValue<T>(key, e.raw, e.revision, check);
    },
    async write(key, value, revision) {
      const [result] = await writer.writeMany([{ key, value, revision }]);
      if (result instanceof Error) throw result;
      return result!;
    },
    writeMany: writer.writeMany,
    writeBulk: writer.writeBulk,
    get bulk() {
      return writer.bulk;
    },
    get bulkFallbacks() {
      return writer.fallbacks;
    },
    async purgePrefix(prefix) {
      for (const k of [...keys.keys()]) if (k.startsWith(`${prefix}.`)) keys.delete(k);
    },
    async recreate() {
      return false;
    },
  };
  const put = (key: string, raw: string) => keys.set(key, { raw, revision: ++seq });
  return {
    bucket,
    put,
    raw: (key: string) => keys.get(key)?.raw,
    json: (key: string): unknown => {
      const raw = keys.get(key)?.raw;
      return raw === undefined ? undefined : JSON.parse(raw);
    },
    keys: () => [...keys.keys()],
    writes: () => writes,
    server,
    /** the bucket removed and created again: no keys, sequences from 1 */
    recreate: () => {
      keys.clear();
      seq = 0;
    },
  };
}
