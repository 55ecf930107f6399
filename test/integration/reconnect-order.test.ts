// src/nats/failover.ts's reconnect order against nats.js's real dial loop and a real server:
// leaving a node that went silent (its TCP still accepts), the client dials the other node
// first, even when the process stalls between nats.js asking for the wait and reading its
// clock (a busy machine deschedules it there now and then; once, in CI, that dialed the
// silent node first and held the failover for the whole connect timeout, 6.65 s).
// One server behind two TCP proxies of the tests' own: a cut proxy is the silent node.

import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, expect, it } from "vitest";
import { onReconnect, reconnectOrder } from "../../src/nats/failover.js";
import { startTcpProxy, type TcpProxy } from "../../scripts/lib/tcp-proxy.mjs";
import { waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

/** the connect timeout: what a dial to the silent node costs */
const CONNECT_TIMEOUT_MS = 5_000;

let server: TestServer;
let silent: TcpProxy;
let other: TcpProxy;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  server = await startServer();
  silent = await startTcpProxy(server.port);
  other = await startTcpProxy(server.port);
});
afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await silent?.close();
  await other?.close();
  await server?.stop();
});

/** Busy for `ms`: the process held off the CPU at that point, as a loaded machine does. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

it("leaving a silent node, dials the other one first even when the dial loop stalls", async () => {
  const order = reconnectOrder(1000, 0);
  let stallMs = 0;
  const dialed: string[] = [];
  let reconnectedAt: number | undefined;
  nc = await connect({
    servers: [`127.0.0.1:${silent.port}`, `127.0.0.1:${other.port}`],
    noRandomize: true,
    timeout: CONNECT_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    reconnectDelayHandler: () => {
      const wait = order.delay();
      // the 2 ms pass after nats.js asked for the wait, before it reads the clock
      stall(stallMs);
      return wait;
    },
  });
  order.connected();
  onReconnect(nc, () => order.connected());
  expect(nc.getServer()).toBe(`127.0.0.1:${silent.port}`);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "reconnecting") dialed.push(String(s.data));
      if (s.type === "reconnect") reconnectedAt ??= performance.now();
    }
  })();

  silent.cut();
  order.leaving(CONNECT_TIMEOUT_MS);
  stallMs = 2;
  const leftAt = performance.now();
  await nc.reconnect();
  await waitFor(() => reconnectedAt, 3 * CONNECT_TIMEOUT_MS, "a reconnect");
  const ms = reconnectedAt! - leftAt;
  expect(nc.getServer()).toBe(`127.0.0.1:${other.port}`);
  expect(dialed, `dialed in this order, connected after ${Math.round(ms)} ms`).toEqual([
    `127.0.0.1:${other.port}`,
  ]);
  // a dial to the silent node would cost the whole connect timeout
  expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS / 2);
}, 30_000);
