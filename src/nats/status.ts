// Connection events as notes for the user, naming the server (node) lost and the one
// regained: on a cluster, "lost the connection to n2 (127.0.0.1:4222)" then "reconnected
// to n1 (127.0.0.1:4223)". The client itself keeps reconnecting; this only tells.

import type { NatsConnection } from "nats";
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

/** Watches `nc` until it closes or `done()` says so. */
export async function reportConnectionEvents(
  nc: NatsConnection,
  hooks: StatusHooks,
  done: () => boolean,
): Promise<void> {
  let node = nodeName(nc.info?.server_name, nc.getServer());
  for await (const s of nc.status()) {
    if (done()) break;
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
  }
}
