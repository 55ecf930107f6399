// Connection events as notes for the user, naming the server (node) lost and the one
// regained: on a cluster, "lost the connection to n2 (127.0.0.1:4222)" then "reconnected
// to n1 (127.0.0.1:4223)". The client itself keeps reconnecting; this only tells.
// And the one way this project watches a connection's status events (onStatus): a watch
// that ends at once when its owner is done, not at the next event after.

import type { NatsConnection, QueuedIterator, Status } from "nats";
import { redactServers } from "../redact.js";

export interface StatusHooks {
  warn(text: string): void;
  info(text: string): void;
}

/** "n2 (127.0.0.1:4222)", or the address alone when the server has no name. */
function nodeName(name: string | undefined, address: string | undefined): string {
  const where = address ? redactServers(address) : undefined;
  if (name && where) return `${name} (${where})`;
  return name ?? where ?? "the server";
}

/**
 * Calls `each` with every status event of `nc` until the connection closes or the returned
 * function is called, which ends the watch at once. nats.js (2.x) answers status() with a
 * QueuedIterator, declared as an AsyncIterable: its public stop() ends the iteration now
 * and removes its listener from the connection; the iterator's return() would be queued
 * behind the next() waiting for an event, and a watch left that way lives until one comes.
 */
export function onStatus(nc: NatsConnection, each: (s: Status) => void): () => void {
  const events = nc.status() as QueuedIterator<Status>;
  void (async () => {
    for await (const s of events) each(s);
  })().catch(() => undefined);
  return () => events.stop();
}

/** Watches `nc` until it closes, `done()` says so, or the returned function is called. */
export function reportConnectionEvents(
  nc: NatsConnection,
  hooks: StatusHooks,
  done: () => boolean = () => false,
): () => void {
  let node = nodeName(nc.info?.server_name, nc.getServer());
  return onStatus(nc, (s) => {
    if (done()) return;
    if (s.type === "disconnect") {
      hooks.warn(`lost the connection to ${node}; reconnecting…`);
    } else if (s.type === "reconnect") {
      node = nodeName(nc.info?.server_name, typeof s.data === "string" ? s.data : nc.getServer());
      hooks.info(`reconnected to ${node}`);
    } else if (s.type === "ldm") {
      hooks.warn(
        `${node} is shutting down (lame duck mode); the client will move to another server`,
      );
    }
  });
}
