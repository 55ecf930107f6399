// A view bucket in memory (the TimelineBucket interface of src/nats/timeline-bucket.ts): raw
// strings per key, compare-and-set on one revision counter, checks applied on read as
// the real bucket applies them. For unit tests of the timeline without nats-server.

import {
  checkedValue,
  RevisionConflict,
  type ValueCheck,
  type TimelineBucket,
} from "../../../src/nats/timeline-bucket.js";

export function memoryBucket() {
  const keys = new Map<string, { raw: string; revision: number }>();
  let seq = 0;
  let writes = 0;
  const bucket: TimelineBucket = {
    name: "mem",
    async get<T>(key: string, check: ValueCheck<T>) {
      const e = keys.get(key);
      if (!e) return null;
      return checkedValue<T>(key, e.raw, e.revision, check);
    },
    async write(key, value, revision) {
      if ((keys.get(key)?.revision ?? 0) !== revision) throw new RevisionConflict(key);
      writes++;
      keys.set(key, { raw: JSON.stringify(value), revision: ++seq });
      return seq;
    },
    async writeMany(items) {
      return Promise.all(
        items.map(({ key, value, revision }) =>
          bucket.write(key, value, revision).catch((err: Error) => err),
        ),
      );
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
  };
}
