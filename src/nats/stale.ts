// A cluster node that stops answering (paused, overloaded, cut off) while its TCP
// connection stays open is not noticed by the client for minutes (nats.js pings every
// 2 minutes). Every request through it then times out although the rest of the cluster
// has elected new leaders and works. This watchdog pings the server every second; when a
// ping stays unanswered for 3 s (or the API timeout if shorter) and other servers are known, it makes the
// client reconnect elsewhere, so that retried publishes and API calls reach a node that
// answers. On a single server it does nothing: there is nowhere else to go.

import type { NatsConnection } from "nats";

const PING_EVERY_MS = 1_000;
/** A ping unanswered this long (at most the API timeout) means the server is stuck. */
const STUCK_MS = 3_000;

/** The servers the client could move to: the configured ones and those the cluster announced. */
function otherServersKnown(nc: NatsConnection, configured: number): boolean {
  return configured > 1 || (nc.info?.connect_urls?.length ?? 0) > 1;
}

export function watchStaleServer(
  nc: NatsConnection,
  timeoutMs: number,
  configuredServers: number,
): void {
  let pingSince = 0;
  let moving = false;
  const timer = setInterval(() => {
    if (nc.isClosed()) return clearInterval(timer);
    if (moving) return;
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
    nc.reconnect().then(
      () => (moving = false),
      () => (moving = false),
    );
  }, PING_EVERY_MS);
  timer.unref();
  void nc.closed().then(() => clearInterval(timer));
}
