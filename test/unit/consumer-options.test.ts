import { describe, expect, it } from "vitest";
import {
  linearBackoff,
  requestedConsumerConfig,
} from "../../src/commands/consumer/config-options.js";
import { CliError } from "../../src/errors.js";

const SECOND_NS = 1_000_000_000;

describe("linearBackoff (natscli's: jsm.go LinearBackoffPeriods)", () => {
  it("steps from min by (max - min) / steps, never reaching max", () => {
    expect(linearBackoff(2, 1000, 3000)).toEqual([1000, 2000]);
    const d = linearBackoff(10, 60_000, 1_200_000);
    expect(d).toHaveLength(10);
    expect(d[0]).toBe(60_000);
    expect(d[1]).toBe(174_000);
    expect(d[9]).toBe(60_000 + 9 * 114_000);
    expect(linearBackoff(2, 3000, 1000)).toEqual([1000, 2000]);
  });
  it("refuses a range too small for its steps", () => {
    expect(() => linearBackoff(10, 1, 5)).toThrow(CliError);
  });
});

describe("requestedConsumerConfig", () => {
  it("has only what was given, in the API's units", () => {
    expect(requestedConsumerConfig("S", { wait: "45s", maxDeliver: "-1" })).toEqual({
      ack_wait: 45 * SECOND_NS,
      max_deliver: -1,
    });
    expect(requestedConsumerConfig("S", { filter: "tweet_liked", deliver: "new" })).toEqual({
      filter_subject: "S.tweet_liked",
      deliver_policy: "new",
    });
    expect(requestedConsumerConfig("S", { backoff: "none" })).toEqual({ backoff: [] });
  });
  it.each([
    [{ pull: true, target: "d.x" }, /exclude each other/],
    [{ backoff: "linear" as const, wait: "5s" }, /--wait goes without --backoff/],
    [{ backoffMin: "5s" }, /go with --backoff linear/],
    [{ wait: "30" }, /did you mean 30s\?/],
  ])("refuses %j (exit 2)", (flags, message) => {
    try {
      requestedConsumerConfig("S", flags);
      throw new Error("expected a usage error");
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as CliError).message).toMatch(message);
    }
  });
});
