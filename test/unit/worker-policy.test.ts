// The retry policy of listen --exec and consumer check's evaluation, without a server.
import { describe, expect, it } from "vitest";
import type { ConsumerInfo } from "nats";
import { checkConsumer } from "../../src/check/consumer-check.js";
import {
  attemptsAllowed,
  backoffDelay,
  decide,
  DEFAULT_ATTEMPTS,
  parseBackoff,
} from "../../src/worker/policy.js";
import { renderCheckNagios, renderCheckPrometheus } from "../../src/output/check.js";

describe("listen --exec policy", () => {
  it("parses --backoff and repeats its last delay", () => {
    const b = parseBackoff("1s, 5s,30s");
    expect(b).toEqual([1000, 5000, 30000]);
    expect([1, 2, 3, 4, 9].map((d) => backoffDelay(b, d))).toEqual([
      1000, 5000, 30000, 30000, 30000,
    ]);
    expect(parseBackoff("0")).toEqual([0]);
    expect(() => parseBackoff("1s,,2s")).toThrow(/--backoff/);
    expect(() => parseBackoff("soon")).toThrow(/--backoff/);
  });

  it("acks on success, naks with the backoff, terminates on the last attempt", () => {
    const b = [100, 200];
    expect(decide(true, 5, 5, b)).toEqual({ kind: "ack" });
    expect(decide(false, 1, 3, b)).toEqual({ kind: "nak", delayMs: 100 });
    expect(decide(false, 2, 3, b)).toEqual({ kind: "nak", delayMs: 200 });
    expect(decide(false, 3, 3, b)).toEqual({ kind: "term", attempts: 3 });
    expect(decide(false, 1000, Infinity, b)).toEqual({ kind: "nak", delayMs: 200 });
  });

  it("attempts: the flag, else the consumer's max_deliver, else the default", () => {
    expect(attemptsAllowed(3, 10)).toBe(3);
    expect(attemptsAllowed(undefined, 10)).toBe(10);
    expect(attemptsAllowed(undefined, -1)).toBe(DEFAULT_ATTEMPTS);
    expect(attemptsAllowed(-1, 10)).toBe(Infinity);
  });
});

function info(over: Partial<ConsumerInfo>, lastAgoMs: number | null): ConsumerInfo {
  const at = lastAgoMs === null ? undefined : new Date(Date.now() - lastAgoMs).toISOString();
  return {
    stream_name: "S",
    name: "w",
    created: new Date().toISOString(),
    config: {} as ConsumerInfo["config"],
    delivered: { consumer_seq: 5, stream_seq: 5, ...(at ? { last_active: at } : {}) },
    ack_floor: { consumer_seq: 5, stream_seq: 5, ...(at ? { last_active: at } : {}) },
    num_ack_pending: 0,
    num_redelivered: 0,
    num_waiting: 0,
    num_pending: 0,
    push_bound: false,
    ...over,
  } as ConsumerInfo;
}

describe("consumer check", () => {
  it("is the worst status of its metrics; thresholds are maximums", () => {
    expect(checkConsumer(info({ num_pending: 10 }, 1000), { pending: { crit: 10 } }).status).toBe(
      "ok",
    );
    expect(
      checkConsumer(info({ num_pending: 11 }, 1000), { pending: { warn: 10, crit: 20 } }).status,
    ).toBe("warning");
    const r = checkConsumer(info({ num_ack_pending: 3 }, 120_000), {
      ack_pending: { warn: 1 },
      last_ack: { crit: 60 },
    });
    expect(r.status).toBe("critical");
    expect(r.metrics.find((m) => m.name === "last_ack")).toMatchObject({ status: "critical" });
    expect(renderCheckNagios(r)).toMatch(
      /^CONSUMER CRITICAL: ack_pending 3 > 1, last_ack 2m ago > 1m \| pending=0;; ack_pending=3;1; /,
    );
  });

  it("never delivered: last delivery is never, past any threshold; +Inf for Prometheus", () => {
    const fresh = info({ delivered: { consumer_seq: 0, stream_seq: 0 } as never }, null);
    const r = checkConsumer(fresh, { last_delivery: { warn: 60 } });
    expect(r.metrics.find((m) => m.name === "last_delivery")).toMatchObject({
      value: null,
      never: true,
      status: "warning",
    });
    expect(renderCheckPrometheus(r)).toContain(
      'tweetstream_consumer_last_delivery_seconds{stream="S",consumer="w"} +Inf',
    );
  });
});
