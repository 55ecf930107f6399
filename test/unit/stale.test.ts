import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { NatsConnection } from "nats";
import { watchStaleServer } from "../../src/nats/stale.js";

/** An in-memory stand-in: pings answered or not, reconnects recorded. */
function fakeConnection(answers: () => boolean) {
  const calls: string[] = [];
  const nc = {
    isClosed: () => false,
    closed: () => new Promise<void>(() => undefined),
    info: { connect_urls: ["127.0.0.1:4222", "127.0.0.1:4223"] },
    flush: () => (answers() ? Promise.resolve() : new Promise<void>(() => undefined)),
    reconnect: () => {
      calls.push("reconnect");
      return Promise.resolve();
    },
  };
  return { nc: nc as unknown as NatsConnection, calls };
}

describe("stale server watchdog", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("leaves a server whose ping stays unanswered 1.5 s, calling onLeave first", async () => {
    const { nc, calls } = fakeConnection(() => false);
    watchStaleServer(nc, 5000, 1, () => calls.push("leave"));
    await vi.advanceTimersByTimeAsync(1_500);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toEqual(["leave", "reconnect"]);
  });

  it("stays while pings are answered, and on a single server with nowhere to go", async () => {
    const answered = fakeConnection(() => true);
    watchStaleServer(answered.nc, 5000, 1);
    const alone = fakeConnection(() => false);
    (alone.nc as unknown as { info: unknown }).info = { connect_urls: [] };
    watchStaleServer(alone.nc, 5000, 1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(answered.calls).toEqual([]);
    expect(alone.calls).toEqual([]);
  });

  it("a late tick (our own event loop blocked) starts a new ping instead of blaming the server", async () => {
    let answer = false;
    const { nc, calls } = fakeConnection(() => answer);
    watchStaleServer(nc, 5000, 1);
    await vi.advanceTimersByTimeAsync(250); // a ping is out
    // the loop is blocked for 3 s: the clock moves, no timer runs
    vi.setSystemTime(Date.now() + 3_000);
    answer = true;
    await vi.advanceTimersByTimeAsync(250);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toEqual([]);
  });
});
