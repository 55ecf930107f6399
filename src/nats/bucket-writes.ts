// Writes to serve's timeline bucket (src/nats/timeline-bucket.ts): compare-and-set writes
// sent a batch at once with their acks awaited together, and "bulk" batches sent without
// an ack each, confirmed by one acked write (the head) that says where the bucket's stream
// must end. Why a confirmed bulk batch is exact is said at `writeBulk`; docs/serve.md
// says it for operators. A write answered "no responders" before the bucket answered any
// (a bucket just made on a cluster) is sent again within the retry budget (`answered`).

import type { StreamConfig } from "nats";
import type { AckedPublish, UnackedCasLane } from "./acked-publish.js";
import { RetryBudgetExceeded, transientReason } from "./errors.js";
import { withJsRetry } from "./retry.js";

/** One compare-and-set write: `value` if `key` is still at `revision` (0: does not exist). */
export interface WriteItem {
  key: string;
  value: unknown;
  revision: number;
}

/** A bulk batch sent: each item's revision and the head's if `confirmed` resolves true. */
export interface BulkWritten {
  revisions: number[];
  head: number;
  /** true: every item and the head stored at those revisions; false: not shown */
  confirmed: Promise<boolean>;
}

/** Room left in a message for its headers (the expected sequences, a few dozen bytes). */
const HEADER_ROOM = 1024;

/**
 * Whether a bucket's stream lets a bulk batch be confirmed by counting: one replica (on
 * R3 a leader change can lose a write in the middle while later ones land), no limit that
 * could refuse or remove a message but a compare-and-set, not a mirror or a source.
 */
export function bulkAllowed(config: Partial<StreamConfig> | undefined): boolean {
  if (!config) return false;
  const none = (v: number | undefined) => v === undefined || v <= 0;
  return (
    config.num_replicas === 1 &&
    none(config.max_msgs) &&
    none(config.max_bytes) &&
    (config.max_msgs_per_subject ?? 0) <= 1 &&
    !config.mirror &&
    !(config.sources?.length ?? 0)
  );
}

export interface BucketWritesDeps {
  publish: AckedPublish;
  /** a new lane of writes without acks (acked-publish.ts unackedCasLane) */
  unacked(): UnackedCasLane;
  /** the subject a key is written to, without the key */
  editPrefix: string;
  timeoutMs: number;
  /** how long a write answered "no responders" is sent again before the stream answered one */
  budgetMs: number;
  encode(value: unknown): Uint8Array;
  /** the server's max_payload (undefined: not known yet) */
  maxPayload(): number | undefined;
  /** a write refused with `err` after it was sent: the slow path (kv.create), or the error */
  refused(item: WriteItem, data: Uint8Array, err: Error): Promise<number>;
  /** whether bulk batches may be sent (see bulkAllowed), asked per batch */
  bulk(): boolean;
}

export function bucketWrites(deps: BucketWritesDeps) {
  const { publish, editPrefix } = deps;
  /** the bucket's stream sequence of this instance's last acknowledged write (0: none yet) */
  let lastAck = 0;
  /** acked writes of this instance not answered yet (a lease renewal beside the writer) */
  const inflight = new Set<Promise<unknown>>();
  let fallbacks = 0;
  /**
   * Whether the bucket's stream answered a write of this instance (stored it, or refused it
   * for cause). Until then a write answered "no responders" is sent again within the retry
   * budget: on a cluster, a bucket just made may not have its leader's subscription known
   * everywhere yet, as its direct gets (reads-ready.ts). "No responders" is the one answer
   * that says the write was not delivered; a timeout may have been stored, and a conflict
   * is an answer: neither is sent again here.
   */
  let answered = false;
  /** notes whether a write's outcome is the stream's answer: stored, or refused for cause */
  const heard = (err: Error | null) => {
    if (!err || transientReason(err) === undefined) answered = true;
  };
  const notDelivered = (err: unknown) => transientReason(err) === "no responders";

  /** `item` sent again, with its compare-and-sets, until delivered or the budget ran out */
  const untilDelivered = (
    item: WriteItem,
    data: Uint8Array,
    expectLastSeq: number | undefined,
    err: Error,
  ): Promise<number> => {
    if (answered || !notDelivered(err)) return Promise.reject(err);
    const once = () =>
      new Promise<number>((resolve, reject) =>
        publish
          .casLane<null>({ timeoutMs: deps.timeoutMs, expectLastSeq }, (e, ack) => {
            heard(e);
            return e ? reject(e) : resolve(ack!.seq);
          })
          .send(editPrefix + item.key, data, item.revision, null),
      );
    // out of budget: the last failure as it came, for the caller to say what it says today
    return withJsRetry(once, { budgetMs: deps.budgetMs, retrying: notDelivered }).catch(
      (e: unknown) => Promise.reject(e instanceof RetryBudgetExceeded ? e.cause : e),
    );
  };

  const send = (
    items: readonly WriteItem[],
    expectLastSeq: number | undefined,
    datas: Uint8Array[],
  ): Promise<Array<number | Error>> => {
    // one lane per batch, told each write's index: no callback, options or header set per write
    const results: Array<number | Error> = new Array(items.length);
    if (items.length === 0) return Promise.resolve(results);
    let left = items.length;
    return new Promise((resolve) => {
      const settle = (i: number, result: number | Error) => {
        if (typeof result === "number") lastAck = Math.max(lastAck, result);
        results[i] = result;
        if (--left === 0) resolve(results);
      };
      const lane = publish.casLane<number>(
        { timeoutMs: deps.timeoutMs, expectLastSeq },
        (err, ack, i) => {
          heard(err);
          if (!err) return settle(i, ack!.seq);
          const item = items[i]!;
          untilDelivered(item, datas[i]!, expectLastSeq, err)
            .catch((e: Error) => deps.refused(item, datas[i]!, e))
            .then(
              (rev) => settle(i, rev),
              (e: unknown) => settle(i, e instanceof Error ? e : new Error(String(e))),
            );
        },
      );
      // new keys first, then the others: the lane's header changes once for all new keys
      // (most of a first build's writes) instead of at every write that follows another kind
      for (const i of newFirst(items)) {
        const data = (datas[i] ??= deps.encode(items[i]!.value));
        lane.send(editPrefix + items[i]!.key, data, items[i]!.revision, i);
      }
    });
  };

  /** Writes every item with compare-and-set, all sent at once; each one's revision or error. */
  const writeMany = (items: readonly WriteItem[]): Promise<Array<number | Error>> => {
    const p = send(items, undefined, new Array(items.length));
    inflight.add(p);
    void p.then(() => inflight.delete(p));
    return p;
  };

  /**
   * Sends `items` without an ack each, every one still with compare-and-set on its revision,
   * then `head` acked (resolves once sent; `confirmed` says how it ended), with its own compare-and-set and Nats-Expected-Last-Sequence: s0 + k
   * (s0: the stream's sequence of this instance's last acknowledged write, k: the items).
   * Accepted, exactly k messages were stored after s0; on a one-replica bucket without limits
   * the server refuses one of ours only when its compare-and-set fails, so every item is
   * stored at s0 + its place in the sending order. `confirmed` false when that was not shown
   * (refused, timed out), undefined when not tried (bulk not allowed, s0 not known, a record
   * too large): the caller then writes the batch the acked way, whose compare-and-sets find
   * what landed. Call it again only once `confirmed` resolved (s0 is the last answer heard).
   *
   * One case counting cannot see: a foreign write to a key of the batch landing after s0 and
   * before ours to that key (so ours is refused) makes the count come out right. Only another
   * writer of the same generation writes those keys (the lease keeps it to one at a time);
   * the timeline's next write of that key mends it or finds it behind (writer.ts: damage).
   */
  const writeBulk = async (
    items: readonly WriteItem[],
    head: WriteItem,
  ): Promise<BulkWritten | undefined> => {
    // a head not written yet would be created by kv.create, which checks no sequence
    if (!deps.bulk() || lastAck === 0 || head.revision === 0) return undefined;
    // our own acked writes answered first: none of them lands inside the batch
    while (inflight.size > 0) await Promise.all(inflight);
    const limit = (deps.maxPayload() ?? 0) - HEADER_ROOM;
    const datas = items.map((item) => deps.encode(item.value));
    const headData = deps.encode(head.value);
    if (headData.length > limit || datas.some((d) => d.length > limit)) return undefined;
    const s0 = lastAck;
    const lane = deps.unacked();
    const revisions: number[] = new Array(items.length);
    let seq = s0;
    for (const i of newFirst(items)) {
      const item = items[i]!;
      // refused by the client (closed connection): the confirm cannot pass, the fallback says why
      if (!lane.send(editPrefix + item.key, datas[i]!, item.revision)) break;
      revisions[i] = ++seq;
    }
    // the confirm is not one of `inflight`: the caller awaits `confirmed` before the next
    const confirmed = send([head], s0 + items.length, [headData]).then(([answer]) => {
      if (answer === s0 + items.length + 1) return true;
      // where the stream ends is not known now (a bucket created again starts over at 1): the
      // acked writes that follow say it again
      lastAck = 0;
      fallbacks++;
      return false;
    });
    return { revisions, head: s0 + items.length + 1, confirmed };
  };

  return {
    writeMany,
    writeBulk,
    /** whether bulk batches are tried at all (a one-replica bucket without limits) */
    get bulk() {
      return deps.bulk();
    },
    /** bulk batches whose confirm was refused or not answered (the acked way taken) */
    get fallbacks() {
      return fallbacks;
    },
  };
}

/** The indices of `items`, new keys (revision 0) first, each kind in its order. */
function newFirst(items: readonly WriteItem[]): number[] {
  const order: number[] = [];
  for (const fresh of [true, false]) {
    for (let i = 0; i < items.length; i++) if ((items[i]!.revision === 0) === fresh) order.push(i);
  }
  return order;
}
