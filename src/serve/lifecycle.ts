// serve's lifecycle around the HTTP server: listening (each refusal an exit code), the
// stop signals (a second Ctrl-C cuts the grace period short), closing HTTP within the grace
// period, and the last NATS work within the stop budget. src/serve/run.ts puts them in order.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CliError, ExitCode } from "../errors.js";
import { deleteConsumers } from "../nats/follow.js";
import type { Connection } from "../nats/connection.js";
import type { App } from "./app.js";
import type { Timeline } from "./timeline/timeline.js";
import { sleep } from "../util/time.js";

export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (err.code === "EADDRINUSE") {
        reject(
          new CliError(`cannot listen on ${where}: address already in use`, ExitCode.Conflict),
        );
      } else if (err.code === "EACCES") {
        reject(new CliError(`cannot listen on ${where}: permission denied`, ExitCode.Usage));
      } else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") {
        reject(new CliError(`cannot listen on ${where}: no such local address`, ExitCode.Usage));
      } else {
        reject(new CliError(`cannot listen on ${where}: ${err.message}`, ExitCode.Internal));
      }
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

export function urlOf(addr: AddressInfo): string {
  const host = addr.address.includes(":") ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

/** Resolves with the signal that asked us to stop. */
export function stopSignal(): {
  promise: Promise<NodeJS.Signals>;
  again: (fn: () => void) => void;
  dispose(): void;
} {
  let second: (() => void) | undefined;
  let received = false;
  let handler!: (s: NodeJS.Signals) => void;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    handler = (s: NodeJS.Signals) => {
      if (received) return second?.();
      received = true;
      resolve(s);
    };
  });
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    promise,
    again: (fn) => (second = fn),
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** True when `work` settled before `deadline` (ms since the epoch); it goes on otherwise. */
export async function settledBy(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  const done = work.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The last of serve's NATS work, within the stop budget: delete this instance's consumers
 * (none is left to the inactivity timeout after a clean stop). What could not be done is
 * said, and the connection is closed rather than drained (a drain waits for the server).
 */
export async function leaveNats(
  conn: Connection,
  stream: string,
  name: string,
  stop: { reachable: boolean; timelineStopped: boolean; deadline: number },
  warn: (text: string) => void,
): Promise<void> {
  const deleted =
    stop.reachable &&
    (await settledBy(
      conn.jsm().then((jsm) => deleteConsumers(jsm, stream, `${name}-`)),
      stop.deadline,
    ));
  const left: string[] = [];
  if (!deleted) {
    left.push(
      `this instance's consumers (${name}-…) are left for the server to remove once inactive`,
    );
  }
  if (!stop.timelineStopped) {
    left.push("the view's last position was not saved and its writer lease expires by itself");
  }
  if (left.length === 0) return;
  const why = stop.reachable ? "NATS did not answer in time" : "NATS is unreachable";
  warn(`${why}: ${left.join("; ")}`);
  await conn.nc.close().catch(() => undefined);
}

/** Stop accepting, end the event streams, let in-flight requests finish (up to the grace period). */
export async function closeHttp(
  server: Server,
  app: App,
  timeline: Timeline,
  graceMs: number,
  cutShort: Promise<void>,
) {
  app.stopAccepting();
  server.close();
  server.closeIdleConnections();
  timeline.hub.closeAll();
  const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
  const finished = (async () => {
    while (app.inFlight > 0) await sleep(20);
  })();
  await Promise.race([finished, grace, cutShort]);
  server.closeAllConnections();
}
