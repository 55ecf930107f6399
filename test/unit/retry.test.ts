import { describe, expect, it } from "vitest";
import { JsErr, toCliError } from "../../src/nats/errors.js";
import {
  isTransient,
  RetryBudgetExceeded,
  retryBudgetMs,
  withJsRetry,
} from "../../src/nats/retry.js";

const api = (err_code: number, code: number, description: string) =>
  Object.assign(new Error(description), {
    code: String(code),
    api_error: { code, err_code, description },
  });
const client = (code: string) => Object.assign(new Error(code), { code });

describe("classification", () => {
  it("tells transient answers from permanent ones", () => {
    expect(isTransient(client("503"))).toBe(true); // no responders
    expect(isTransient(client("TIMEOUT"))).toBe(true);
    expect(
      isTransient(api(JsErr.DuplicateMessageInProcess, 409, "duplicate message id is in process")),
    ).toBe(true);
    expect(
      isTransient(api(JsErr.ClusterNotAvailable, 503, "JetStream system temporarily unavailable")),
    ).toBe(true);
    // a full stream answers 503 too, but with err_code 10077: permanent
    expect(isTransient(api(JsErr.StreamStoreFailed, 503, "maximum messages exceeded"))).toBe(false);
    expect(
      isTransient(api(JsErr.NotEnabledForAccount, 503, "jetstream not enabled for account")),
    ).toBe(false);
    expect(isTransient(client("PERMISSIONS_VIOLATION"))).toBe(false);
    expect(isTransient(new Error("boom"))).toBe(false);
  });
  it("names the limit of a full stream, exit 5", () => {
    const full = toCliError(api(JsErr.StreamStoreFailed, 503, "maximum messages exceeded"), {
      stream: "S",
    });
    expect(full.exitCode).toBe(5);
    expect(full.message).toMatch(/^stream S is full: maximum messages exceeded \(limit max_msgs/);
    expect(toCliError(api(JsErr.StreamStoreFailed, 503, "maximum bytes exceeded")).message).toMatch(
      /max_bytes/,
    );
  });
  it("maps no JetStream to 3, rejected configs to 2, server limits to 5", () => {
    expect(
      toCliError(api(JsErr.NotEnabledForAccount, 503, "jetstream not enabled for account"))
        .exitCode,
    ).toBe(3);
    expect(
      toCliError(
        api(
          JsErr.StreamReplicasNotSupported,
          500,
          "replicas > 1 not supported in non-clustered mode",
        ),
      ).exitCode,
    ).toBe(2);
    expect(
      toCliError(
        api(JsErr.StreamInvalidConfig, 400, "duplicates window can not be larger then max age"),
      ).exitCode,
    ).toBe(2);
    expect(
      toCliError(api(JsErr.MaximumStreamsLimit, 400, "maximum number of streams reached")).exitCode,
    ).toBe(5);
  });
  it("'in process' is transient (exit 6 if it outlasts the budget), never bad input", () => {
    const inProcess = api(
      JsErr.DuplicateMessageInProcess,
      409,
      "duplicate message id is in process",
    );
    expect(isTransient(inProcess)).toBe(true);
    expect(toCliError(inProcess).exitCode).toBe(6);
    const err = toCliError(new RetryBudgetExceeded(inProcess, 3000, 4, false));
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/duplicate message id still in process, 4 attempts/);
  });
  it("says no JetStream answer within the budget, exit 6, never 'create'", () => {
    const err = toCliError(new RetryBudgetExceeded(client("503"), 15_000, 7, false));
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(
      /^no JetStream answer within 15s from the server \(no responders, 7 attempts\)/,
    );
    expect(err.message).not.toMatch(/create/);
  });
});

describe("withJsRetry", () => {
  it("budget is 3 x --timeout: 15 s by default", () => {
    expect(retryBudgetMs(5000)).toBe(15_000);
    expect(retryBudgetMs(500)).toBe(1500);
  });
  it("retries transient failures until one succeeds", async () => {
    let calls = 0;
    const retried: number[] = [];
    const value = await withJsRetry(
      async ({ attempt }) => {
        calls++;
        if (attempt < 3) throw client("503");
        return "ok";
      },
      { budgetMs: 5000, onRetry: (_e, a) => retried.push(a) },
    );
    expect(value).toBe("ok");
    expect(calls).toBe(4);
    expect(retried).toEqual([0, 1, 2]);
  });
  it("throws a permanent failure at once", async () => {
    let calls = 0;
    const full = api(JsErr.StreamStoreFailed, 503, "maximum messages exceeded");
    await expect(
      withJsRetry(
        async () => {
          calls++;
          throw full;
        },
        { budgetMs: 5000 },
      ),
    ).rejects.toBe(full);
    expect(calls).toBe(1);
  });
  it("retries only what `retrying` allows: a timeout after no responders is thrown as it came", async () => {
    const answers = [client("503"), client("TIMEOUT")];
    let calls = 0;
    await expect(
      withJsRetry(
        async () => {
          throw answers[calls++]!;
        },
        { budgetMs: 5000, retrying: (err) => (err as { code: string }).code === "503" },
      ),
    ).rejects.toBe(answers[1]);
    expect(calls).toBe(2);
  });
  it("gives up when the budget runs out, within the budget plus one backoff", async () => {
    // a backoff is at most 2 s (retry.ts MAX_DELAY_MS) and is cut to what is left of the budget
    const MAX_BACKOFF_MS = 2000;
    let calls = 0;
    const started = performance.now();
    const err = await withJsRetry(
      async () => {
        calls++;
        throw client("TIMEOUT");
      },
      { budgetMs: 300 },
    ).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(RetryBudgetExceeded);
    const exceeded = err as RetryBudgetExceeded;
    expect([exceeded.reason, exceeded.budgetMs, exceeded.stopped]).toEqual(["timeout", 300, false]);
    // it retried (100 ms, then about 200 ms), and counted every attempt
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(exceeded.attempts).toBe(calls);
    // not before the budget ran out (timers may fire a millisecond early), not a backoff after
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(300 + MAX_BACKOFF_MS);
  });
  it("stops retrying when the signal aborts: no attempt after it, long before the budget", async () => {
    const stop = new AbortController();
    let calls = 0;
    let callsAtAbort = -1;
    setTimeout(() => {
      callsAtAbort = calls;
      stop.abort();
    }, 50);
    const started = performance.now();
    const err = await withJsRetry(
      async () => {
        calls++;
        throw client("503");
      },
      { budgetMs: 60_000, signal: stop.signal },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryBudgetExceeded);
    expect((err as RetryBudgetExceeded).stopped).toBe(true);
    expect(callsAtAbort).toBeGreaterThanOrEqual(1);
    expect(calls).toBe(callsAtAbort);
    // the stop is seen when the current backoff (at most 2 s) ends
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
