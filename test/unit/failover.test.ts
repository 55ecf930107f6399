import { describe, expect, it } from "vitest";
import { movedError, reconnectOrder, SKIP_MARGIN_MS } from "../../src/nats/failover.js";
import { isTransient } from "../../src/nats/errors.js";

interface Srv {
  name: string;
  lastConnect: number;
}

/**
 * nats.js's dial loop (dodialLoop): ask for the wait, take the next server in turn; dial
 * it when it was never dialed or `lastConnect + wait <= now`, else sleep until it may be
 * and go on. A dial to a live server takes 3 ms, to a silent one `silentMs` (the connect
 * timeout). `stallMs`: the process stalls that long after the wait is asked for, before
 * nats.js reads its clock. Returns the servers dialed, in order, and when one answered.
 */
function dialLoop(
  order: ReturnType<typeof reconnectOrder>,
  clock: { now: number },
  servers: Srv[],
  alive: Set<string>,
  silentMs: number,
  first = false,
  stallMs = 0,
): { dialed: string[]; at: number } {
  const dialed: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const wait = order.delay();
    clock.now += stallMs;
    const srv = first && i === 0 ? servers[0]! : servers.shift()!;
    if (!(first && i === 0)) servers.push(srv);
    if (srv.lastConnect === 0 || srv.lastConnect + wait <= clock.now) {
      srv.lastConnect = clock.now;
      dialed.push(srv.name);
      if (alive.has(srv.name)) {
        clock.now += 3;
        order.connected();
        return { dialed, at: clock.now };
      }
      clock.now += silentMs;
    } else clock.now += Math.min(wait, srv.lastConnect + wait - clock.now);
  }
  throw new Error("no server answered");
}

/** Connected to n1 (dialed first), n2 and n3 announced by the cluster, an hour later. */
function connectedToN1(names = ["n1", "n2", "n3"]) {
  const clock = { now: 1_000_000 };
  const order = reconnectOrder(1000, 0, () => clock.now);
  const servers = names.map((name) => ({ name, lastConnect: 0 }));
  dialLoop(order, clock, servers, new Set(["n1"]), 5000, true);
  clock.now += 60 * 60_000;
  return { clock, order, servers };
}

describe("reconnect order", () => {
  it("after leaving a stuck node, dials another one at once instead of waiting on it", () => {
    const { clock, order, servers } = connectedToN1();
    order.leaving(5000);
    const start = clock.now;
    const r = dialLoop(order, clock, servers, new Set(["n2", "n3"]), 5000);
    expect(r.dialed).toEqual(["n2"]);
    expect(r.at - start).toBeLessThan(SKIP_MARGIN_MS + 10);
  });

  it("skips the stuck node even when the process stalls before nats.js reads its clock", () => {
    for (const stallMs of [1, 2, 30, SKIP_MARGIN_MS - 1]) {
      const { clock, order, servers } = connectedToN1();
      order.leaving(5000);
      const start = clock.now;
      const r = dialLoop(order, clock, servers, new Set(["n2", "n3"]), 5000, false, stallMs);
      expect(r.dialed, `a ${stallMs} ms stall`).toEqual(["n2"]);
      expect(r.at - start).toBeLessThan(SKIP_MARGIN_MS + 2 * stallMs + 10);
    }
  });

  it("without leaving, nats.js's own order: the old node first, a whole connect timeout", () => {
    const { clock, order, servers } = connectedToN1();
    const start = clock.now;
    const r = dialLoop(order, clock, servers, new Set(["n2", "n3"]), 5000);
    expect(r.dialed).toEqual(["n1", "n2"]);
    expect(r.at - start).toBeGreaterThanOrEqual(5000);
  });

  it("comes back to the node it left when no other answers, once the window is over", () => {
    const { clock, order, servers } = connectedToN1();
    order.leaving(2000);
    const start = clock.now;
    const r = dialLoop(order, clock, servers, new Set(["n1"]), 2000);
    expect(r.dialed.slice(0, 2)).toEqual(["n2", "n3"]);
    expect(r.dialed.at(-1)).toBe("n1");
    expect(r.at - start).toBeLessThan(10_000);
  });

  it("after a second failover, leaves that node too", () => {
    const { clock, order, servers } = connectedToN1();
    order.leaving(5000);
    dialLoop(order, clock, servers, new Set(["n2", "n3"]), 5000);
    clock.now += 60_000;
    order.leaving(5000);
    const start = clock.now;
    const r = dialLoop(order, clock, servers, new Set(["n1", "n3"]), 5000);
    expect(r.dialed[0]).not.toBe("n2");
    expect(r.at - start).toBeLessThan(SKIP_MARGIN_MS + 10);
  });

  it("the usual wait outside the window; a reconnect ends the window", () => {
    const clock = { now: 5_000 };
    const order = reconnectOrder(1000, 100, () => clock.now);
    for (let i = 0; i < 20; i++) {
      const w = order.delay();
      expect(w).toBeGreaterThanOrEqual(1000);
      expect(w).toBeLessThanOrEqual(1100);
    }
    order.leaving(5000);
    clock.now += 10;
    expect(order.delay()).toBe(10 + SKIP_MARGIN_MS);
    order.connected();
    expect(order.delay()).toBeGreaterThanOrEqual(1000);
  });

  it("a publish cut short by a reconnect is a transient timeout (retried, same id)", () => {
    expect(isTransient(movedError())).toBe(true);
  });
});
