// The JetStream key-value bucket that holds serve's materialized view of a stream:
// JSON values written with compare-and-set on the key's revision (so two writers never
// overwrite each other's work unseen), a lease key naming the one instance that
// maintains the timeline, and purging a generation of keys. Works on nats-server 2.9.

import type { KV, KvEntry } from "nats";
import { createHash } from "node:crypto";
import { connectionPublisher, unackedCasLane } from "./acked-publish.js";
import { bucketWrites, bulkAllowed, type BulkWritten, type WriteItem } from "./bucket-writes.js";
import { directReader } from "./direct-gets.js";
import type { Connection } from "./connection.js";
import { jsApiOptions } from "./manager.js";
import { JsErr, jsErrorCode, toCliError } from "./errors.js";
import { retryBudgetMs, withJsRetry } from "./retry.js";

export type { BulkWritten, WriteItem };

/** `tweetstream_view_<STREAM>` (a stream name with characters a bucket may not have: a hash). */
export function timelineBucketName(stream: string): string {
  const safe = /^[A-Za-z0-9_-]+$/.test(stream) && stream.length <= 200;
  return `tweetstream_view_${safe ? stream : createHash("sha256").update(stream).digest("hex").slice(0, 32)}`;
}

export interface Versioned<T> {
  value: T;
  revision: number;
}

/** Someone else wrote the key since we read it. */
export class RevisionConflict extends Error {
  constructor(key: string) {
    super(`the view's key ${key} changed since it was read`);
    this.name = "RevisionConflict";
  }
}

/**
 * Checks a value read from the bucket (anyone with JetStream rights in the account can
 * write there); returns why it does not pass, undefined when it does.
 */
export type ValueCheck<T> = ((v: unknown) => string | undefined) & { readonly __type?: T };

/** A key holds something that is not what the timeline wrote there: the timeline must be rebuilt. */
export class TimelineDamage extends Error {
  constructor(
    readonly key: string,
    readonly why: string,
    /** the damaged entry's revision (a compare-and-set can write over it) */
    readonly revision: number,
  ) {
    super(`the view's key ${key} holds no valid value (${why})`);
    this.name = "TimelineDamage";
  }
}

/**
 * A value read from the bucket, parsed and checked: anyone with rights in the account can
 * write there, so a value that is not JSON or fails `check` is damage, never data.
 */
export function checkedValue<T>(
  key: string,
  text: string,
  revision: number,
  check: ValueCheck<T>,
): { value: T; revision: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TimelineDamage(key, "not JSON", revision);
  }
  const why = check(value);
  if (why !== undefined) throw new TimelineDamage(key, why, revision);
  return { value: value as T, revision };
}

export interface TimelineBucket {
  readonly name: string;
  /** The key's value if it passes `check` (null: no such key); TimelineDamage if it does not. */
  get<T>(key: string, check: ValueCheck<T>): Promise<Versioned<T> | null>;
  /** Writes `value` if the key is still at `revision` (0: does not exist); the new revision. */
  write(key: string, value: unknown, revision: number): Promise<number>;
  /**
   * Writes every item as `write` does, all sent at once; each item's new revision, or its
   * error (RevisionConflict: the key is no longer at its revision).
   */
  writeMany(items: readonly WriteItem[]): Promise<Array<number | Error>>;
  /**
   * The items sent without an ack each, confirmed by `head` (src/nats/bucket-writes.ts): once
   * sent, each item's revision and the head's, valid if `confirmed` resolves true; undefined
   * when not tried (write them as writeMany does). The next call waits for `confirmed`.
   */
  writeBulk(items: readonly WriteItem[], head: WriteItem): Promise<BulkWritten | undefined>;
  /** whether writeBulk is tried (a one-replica bucket without limits: bucket-writes.ts) */
  readonly bulk: boolean;
  /** bulk batches not confirmed (the acked way was taken instead) */
  readonly bulkFallbacks: number;
  /** Removes every key under `prefix.` (a generation that was replaced). */
  purgePrefix(prefix: string): Promise<void>;
  /** Creates the bucket again if it was removed; true when it had to. */
  recreate(): Promise<boolean>;
}

/**
 * Opens (creating when missing) the timeline's bucket of `stream`, with `replicas` (the
 * stream's replicas that are online: nats-server 2.10+ does not answer the creation of an
 * R3 stream while a node is down, and the timeline is rebuilt from the stream if it is lost).
 */
export async function openTimelineBucket(
  conn: Connection,
  stream: string,
  replicas: number,
): Promise<TimelineBucket> {
  const name = timelineBucketName(stream);
  const budgetMs = retryBudgetMs(conn.settings.timeoutMs);
  const bucketOptions = {
    history: 1,
    replicas,
    description: `tweetstream serve: materialized view of stream ${stream}`,
  };
  let kv: KV;
  try {
    // Creating a replicated bucket while a node was just lost can take longer than
    // --timeout (6–7 s measured on 2.15 with the dead node still placed in the group,
    // which elects a leader from the two left): the creation may use the whole retry
    // budget, and a create or look-up that got no answer is tried again within it.
    await withJsRetry(
      ({ remainingMs }) =>
        conn.nc.jetstream(jsApiOptions(conn.settings, remainingMs)).views.kv(name, bucketOptions),
      { budgetMs },
    );
    // the bucket exists: this handle's reads and writes wait --timeout, as every request does
    kv = await withJsRetry(() => conn.js().views.kv(name, bucketOptions), { budgetMs });
  } catch (err) {
    throw toCliError(err, { phase: "request", servers: conn.settings.servers });
  }
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v), "utf8");
  const publish = await connectionPublisher(conn.nc, conn.settings.inboxPrefix);
  // a bucket that allows direct gets (every bucket nats.js makes on 2.9+) is read through them
  // as nats.js makes it: the domain's, else the prefix given (without a trailing dot)
  const apiPrefix = conn.settings.jsDomain
    ? `$JS.${conn.settings.jsDomain}.API`
    : (conn.settings.jsApiPrefix || "$JS.API").replace(/\.$/, "");
  const config = await bucketConfig(conn, name);
  const direct = config.direct
    ? directReader(
        conn.nc,
        conn.settings.inboxPrefix ?? "_INBOX",
        `${apiPrefix}.DIRECT.GET.KV_${name}`,
      )
    : undefined;
  // the subject kv.put writes a key to (a JetStream domain or a mirror change it): a prefix
  // and the key, the prefix asked of nats.js once rather than for every write
  const subjectPrefix = (edit: boolean): string => {
    const bucket = kv as unknown as { subjectForKey?(k: string, edit: boolean): string };
    return bucket.subjectForKey?.("k", edit).slice(0, -1) ?? `$KV.${name}.`;
  };
  const editPrefix = subjectPrefix(true);
  const readPrefix = subjectPrefix(false);
  const writeError = (key: string, err: unknown): Error =>
    isWrongRevision(err)
      ? new RevisionConflict(key)
      : toCliError(err, { phase: "request", servers: conn.settings.servers });
  const { headers } = await import("nats");
  const writes = bucketWrites({
    publish,
    unacked: () => unackedCasLane(conn.nc, headers()),
    editPrefix,
    timeoutMs: conn.settings.timeoutMs,
    budgetMs,
    encode,
    maxPayload: () => conn.nc.info?.max_payload,
    bulk: () => config.bulk,
    // a key deleted or purged has a marker kv.create writes over: its slow path knows how
    refused: ({ key, revision }, data, err) =>
      (revision === 0 && isWrongRevision(err) ? kv.create(key, data) : Promise.reject(err)).catch(
        (e: unknown) => Promise.reject(writeError(key, e)),
      ),
  });
  const { writeMany } = writes;
  return {
    name,
    async get<T>(key: string, check: ValueCheck<T>) {
      let e: Pick<KvEntry, "operation" | "revision" | "value"> | null;
      try {
        e = direct ? await direct(readPrefix + key, conn.settings.timeoutMs) : await kv.get(key);
      } catch (err) {
        throw toCliError(err, { phase: "request", servers: conn.settings.servers });
      }
      if (!e) return null;
      // the timeline never deletes a key (it purges whole generations): someone else did
      if (e.operation !== "PUT") throw new TimelineDamage(key, "deleted", e.revision);
      return checkedValue(key, Buffer.from(e.value).toString("utf8"), e.revision, check);
    },
    async write(key, value, revision) {
      const [result] = await writeMany([{ key, value, revision }]);
      if (result instanceof Error) throw result;
      return result!;
    },
    writeMany,
    writeBulk: writes.writeBulk,
    get bulk() {
      return writes.bulk;
    },
    get bulkFallbacks() {
      return writes.fallbacks;
    },
    async purgePrefix(prefix) {
      const jsm = await conn.jsm();
      await jsm.streams.purge(`KV_${name}`, { filter: `$KV.${name}.${prefix}.>` });
    },
    async recreate() {
      const jsm = await conn.jsm();
      try {
        await jsm.streams.info(`KV_${name}`);
        return false;
      } catch (err) {
        if (jsErrorCode(err) !== JsErr.StreamNotFound) {
          throw toCliError(err, { phase: "request", servers: conn.settings.servers });
        }
      }
      try {
        kv = await conn.js().views.kv(name, bucketOptions);
      } catch (err) {
        throw toCliError(err, { phase: "request", servers: conn.settings.servers });
      }
      return true;
    },
  };
}

/** What the bucket's stream allows: direct gets, bulk batches (bucket-writes.ts bulkAllowed). */
async function bucketConfig(
  conn: Connection,
  name: string,
): Promise<{ direct: boolean; bulk: boolean }> {
  try {
    const jsm = await conn.jsm();
    const { config } = await jsm.streams.info(`KV_${name}`);
    return { direct: config.allow_direct === true, bulk: bulkAllowed(config) };
  } catch {
    return { direct: false, bulk: false }; // kv.get finds out what it can; writes are acked
  }
}

function isWrongRevision(err: unknown): boolean {
  if (jsErrorCode(err) === JsErr.StreamWrongLastSequence) return true;
  // kv.create reports an existing key in its own words
  const message = err instanceof Error ? err.message : "";
  return /wrong last sequence|key exists/i.test(message);
}

export interface Lease {
  /** true while this instance holds it (renews, or takes one nobody renewed) */
  refresh(): Promise<boolean>;
  /** gives it up (clean stop), so another instance takes over at once */
  release(): Promise<void>;
}

/** What the lease key holds: its holder (`""`, or `until` 0 from older versions: given up). */
interface LeaseValue {
  owner: string;
  until?: number;
}

const isLeaseValue: ValueCheck<LeaseValue> = (v) =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as LeaseValue).owner === "string" &&
  (v as LeaseValue).owner.length <= 256
    ? undefined
    : "not {owner: a name}";

/**
 * A lease in the bucket: the instance holding `key` maintains the timeline. Taken with
 * compare-and-set and renewed every refresh (each renewal is a new revision of the key).
 * It expires when this instance has seen the same revision for `ttlMs` of its own
 * monotonic clock: no timestamp in the value counts, so a holder's clock (skewed, or a
 * value someone wrote by hand) can never keep it alive. A value that is not a lease is
 * free. Correctness does not depend on it (writes are idempotent and compare-and-set); it
 * only keeps two instances from doing the same work.
 */
export function timelineLease(
  bucket: TimelineBucket,
  key: string,
  owner: string,
  ttlMs: number,
  now: () => number = () => performance.now(),
): Lease {
  let held = false;
  /** the other holder's revision, and since when this instance has seen it */
  let seen: { revision: number; since: number } | undefined;
  const read = async (): Promise<Versioned<LeaseValue> | null> => {
    try {
      return await bucket.get(key, isLeaseValue);
    } catch (err) {
      if (err instanceof TimelineDamage) return { value: { owner: "" }, revision: err.revision };
      throw err;
    }
  };
  return {
    async refresh() {
      const current = await read();
      const other = current?.value.owner !== owner;
      const given = current === null || current.value.owner === "" || current.value.until === 0;
      if (current && other && !given) {
        if (seen?.revision !== current.revision) {
          seen = { revision: current.revision, since: now() };
          return (held = false);
        }
        if (now() - seen.since < ttlMs) return (held = false);
      }
      try {
        // `until` for instances of older versions, which read it; never read here
        const value = { owner, until: Date.now() + ttlMs };
        await bucket.write(key, value, current?.revision ?? 0);
        seen = undefined;
        return (held = true);
      } catch (err) {
        if (err instanceof RevisionConflict) return (held = false);
        throw err;
      }
    },
    async release() {
      if (!held) return;
      held = false;
      const current = await read().catch(() => null);
      if (current?.value.owner !== owner) return;
      await bucket.write(key, { owner: "", until: 0 }, current.revision).catch(() => undefined);
    },
  };
}
