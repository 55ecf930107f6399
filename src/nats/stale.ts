// A cluster node that stops answering (paused, overloaded, cut off) while its TCP
// connection stays open is not noticed by the client for minutes (nats.js pings every
// 2 minutes). Every request through it then times out although the rest of the cluster
// has elected new leaders and works. This watchdog pings the server every 250 ms; when a
// ping stays unanswered for 1.5 s (or the API timeout if shorter) and other servers are
// known, it makes the client reconnect elsewhere (src/nats/failover.ts: another node
// first), so that retried publishes and API calls reach a node that answers. On a single
// server it does nothing: there is nowhere else to go. A tick that comes late (our own
// event loop was blocked) starts a new ping rather than blaming the server.

import type { NatsConnection } from "nats";

const PING_EVERY_MS = 250;
/** A ping unanswered this long (at most the API timeout) means the server is stuck. */
const STUCK_MS = 1_500;

/** The servers the client could move to: the configured ones and those the cluster announced. */
function otherServersKnown(nc: NatsConnection, configured: number): boolean {
  return configured > 1 || (nc.info?.connect_urls?.length ?? 0) > 1;
}

export function watchStaleServer(
  nc: NatsConnection,
  timeoutMs: number,
  configuredServers: number,
  /** called just before the client leaves the stuck server */
  onLeave: () => void = () => undefined,
): void {
  let pingSince = 0;
  let moving = false;
  let lastTick = Date.now();
  const timer = setInterval(() => {
    if (nc.isClosed()) return clearInterval(timer);
    const late = Date.now() - lastTick > 4 * PING_EVERY_MS;
    lastTick = Date.now();
    if (moving) return;
    if (late) pingSince = 0;
    if (pingSince === 0) {
      pingSince = Date.now();
      nc.flush().then(
        () => (pingSince = 0),
        () => (pingSince = 0),
      );
      return;
    }
    if (
      Date.now() - pingSince < Math.min(timeoutMs, STUCK_MS) ||
      !otherServersKnown(nc, configuredServers)
    )
      return;
    moving = true;
    pingSince = 0;
    onLeave();
    nc.reconnect().then(
      () => (moving = false),
      () => (moving = false),
    );
  }, PING_EVERY_MS);
  timer.unref();
  void nc.closed().then(() => clearInterval(timer));
}
