// The bulk publisher against an in-memory acked publisher: each input becomes its item
// only when it is sent, every event ends in the summary (published + duplicates + failed
// + not sent = inputs), a retry after a timeout carries the same message id, and the
// window is never exceeded. (The real server: publish.test.ts and the cluster scenarios.)

import type { JetStreamClient } from "nats";
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/errors.js";
import type { AckCallback, AckedPublish, JsAck } from "../../src/nats/acked-publish.js";
import { bulkTotal, publishPipelined, type BulkItem } from "../../src/nats/bulk-publish.js";

type Answer = { ack: Omit<JsAck, "stream"> } | { error: Error };

/** An acked publisher whose answers a script decides, delivered on a later turn. */
function scriptedPublisher(script: (msgID: string, attempt: number) => Answer) {
  const sent: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = (_s: string, _d: Uint8Array, opts: { msgID?: string }, done: AckCallback) => {
    const msgID = opts.msgID ?? "";
    const attempt = sent.filter((m) => m === msgID).length;
    sent.push(msgID);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setImmediate(() => {
      inFlight--;
      const a = script(msgID, attempt);
      if ("error" in a) done(a.error, null);
      else done(null, { stream: "S", ...a.ack });
    });
  };
  const via = Object.assign(
    (subject: string, data: Uint8Array, opts: { msgID?: string; timeoutMs: number }) =>
      new Promise<JsAck>((resolve, reject) =>
        send(subject, data, opts, (err, ack) => (err ? reject(err) : resolve(ack!))),
      ),
    {
      send,
      lane: <T>(
        _opts: { timeoutMs: number },
        done: (err: Error | null, ack: JsAck | null, tag: T, sentAt: number) => void,
      ) => ({
        send(subject: string, data: Uint8Array, msgID: string, tag: T) {
          const sentAt = Date.now();
          send(subject, data, { msgID }, (err, ack) => done(err, ack, tag, sentAt));
        },
      }),
      // bulk publishing never writes with compare-and-set
      casLane: () => {
        throw new Error("not used by bulk publishing");
      },
    },
  ) as AckedPublish;
  return { via, sent, maxInFlight: () => maxInFlight };
}

const timeout = () => Object.assign(new Error("timeout"), { code: "TIMEOUT" });
const full = () =>
  Object.assign(new Error("maximum messages exceeded"), {
    code: "503",
    api_error: { code: 503, err_code: 10077, description: "maximum messages exceeded" },
  });
const js = {} as JetStreamClient;

describe("publishPipelined", () => {
  it("accounts for every input, retries a timeout with the same id, keeps the window", async () => {
    let seq = 0;
    const p = scriptedPublisher((msgID, attempt) => {
      if (msgID === "late" && attempt === 0) return { error: timeout() };
      if (msgID === "full") return { error: full() };
      if (msgID === "again") return { ack: { seq: 1, duplicate: true } };
      return { ack: { seq: ++seq, duplicate: false } };
    });
    const ids = ["a", "late", "bad", "again", "full", "b", "c", "d"];
    const converted: number[] = [];
    const toItem = (n: number): BulkItem => {
      converted.push(n);
      const msgID = ids[n]!;
      if (msgID === "bad") return { ref: n, error: new CliError("invalid event", 2) };
      return { ref: n, subject: "S.tweet_created", payload: new Uint8Array(), msgID };
    };
    const failures: number[] = [];
    const summary = await publishPipelined(
      js,
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
      toItem,
      {
        window: 2,
        timeoutMs: 200,
        via: p.via,
        onFailure: (f) => failures.push(f.ref),
      },
    );
    expect(summary).toMatchObject({ published: 5, duplicates: 1, failed: 2, notSent: 0 });
    expect(bulkTotal(summary)).toBe(ids.length);
    expect(failures.sort()).toEqual([2, 4]);
    expect(summary.firstPublishFailure?.error.exitCode).toBe(5);
    // the retry of the unanswered publish carries its message id again
    expect(p.sent.filter((m) => m === "late")).toHaveLength(2);
    expect(p.maxInFlight()).toBeLessThanOrEqual(2);
    expect(converted).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("--fail-fast: inputs after the failure are not sent (nor converted, but one), and counted", async () => {
    const p = scriptedPublisher((msgID) =>
      msgID === "full" ? { error: full() } : { ack: { seq: 1, duplicate: false } },
    );
    const converted: number[] = [];
    const toItem = (n: number): BulkItem => {
      converted.push(n);
      return {
        ref: n,
        subject: "S.tweet_created",
        payload: new Uint8Array(),
        msgID: n === 1 ? "full" : `m${n}`,
      };
    };
    const inputs = Array.from({ length: 50 }, (_, i) => i);
    const summary = await publishPipelined(js, [inputs], toItem, {
      window: 1,
      timeoutMs: 200,
      failFast: true,
      via: p.via,
    });
    expect(summary.aborted).toBe(true);
    expect(bulkTotal(summary) + summary.notSent).toBe(inputs.length);
    // at most one input is converted ahead, while the window is full (then counted not sent)
    expect(converted.length - bulkTotal(summary)).toBeLessThanOrEqual(1);
    expect(summary.notSent).toBeGreaterThan(40);
  });
});
