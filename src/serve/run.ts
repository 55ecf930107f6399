// `serve`'s lifecycle: read the stream into the projection, listen, follow the stream,
// and on SIGINT/SIGTERM stop accepting, let in-flight requests finish, end the event
// streams and stop following (cli.ts then drains NATS). Returns when stopped.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CommandContext } from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import {
  encodeEvent,
  messageIdFor,
  subjectFor,
  timelineEvent,
  type TweetEvent,
} from "../events.js";
import {
  followStream,
  streamLastSeq,
  watchConnection,
  type ConnectionWatch,
  type Follower,
} from "../nats/follow.js";
import type { Connection } from "../nats/connection.js";
import { publishMessage } from "../nats/publish.js";
import { plural } from "../output/format.js";
import { startSpinner } from "../output/spinner.js";
import { createApp, type App, type Health, type PublishResult } from "./app.js";
import { Projection, type TweetDetail } from "./projection.js";
import { SseHub } from "./sse.js";
import type { CorsPolicy } from "./cors.js";
import { webFront } from "./web.js";

export interface ServeOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** bound on receiving a request (headers and body) */
  requestTimeoutMs: number;
  /** how long in-flight requests may take to finish on shutdown */
  gracePeriodMs: number;
  /** one line per request on stderr */
  accessLog: boolean;
  /** --cors: origins allowed to call the API from another page */
  cors?: CorsPolicy;
}

/** What `serve` prints once it listens (stdout; one NDJSON line with --json). */
export interface ListeningInfo {
  status: "listening";
  url: string;
  host: string;
  port: number;
  stream: string;
  tweets: number;
  likes: number;
  last_seq: number;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
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

function urlOf(addr: AddressInfo): string {
  const host = addr.address.includes(":") ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

/** Resolves with the signal that asked us to stop. */
function stopSignal(): {
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

interface Booted {
  projection: Projection;
  hub: SseHub;
  follower: Follower;
  waitForTweet(id: string, ms: number): Promise<TweetDetail | undefined>;
}

/** Reads the whole stream into a projection, then keeps following it; null if interrupted. */
async function bootProjection(
  ctx: CommandContext,
  conn: Connection,
  interrupted: Promise<unknown>,
): Promise<Booted | null> {
  const { out, stream } = ctx;
  const projection = new Projection();
  const hub = new SseHub();
  const waiters = new Map<string, Set<() => void>>();
  const spinner = await startSpinner(out, `Reading stream ${stream}…`);
  const follower = await followStream(conn, stream, {
    onMessage(m) {
      const event = timelineEvent(m.subject, m.data);
      if (!event) {
        projection.skip(m.seq);
        hub.publish(m.seq, null);
        return;
      }
      projection.apply(m.seq, event);
      hub.publish(m.seq, { ...event, seq: m.seq });
      const w = event.messageType === "tweet_created" ? waiters.get(event.id) : undefined;
      if (w) for (const wake of w) wake();
    },
  }).catch((err: unknown) => {
    spinner.stop();
    if (err instanceof CliError && err.exitCode === ExitCode.NotFound) {
      throw new CliError(
        `stream ${stream} not found; create it with: tweetstream stream add`,
        ExitCode.NotFound,
      );
    }
    throw err;
  });
  const booted = await Promise.race([
    follower.caughtUp.then(() => true),
    interrupted.then(() => false),
  ]);
  spinner.stop();
  if (!booted) {
    hub.closeAll();
    await follower.stop();
    return null;
  }
  const waitForTweet = (id: string, ms: number) =>
    new Promise<TweetDetail | undefined>((resolve) => {
      const known = projection.tweet(id);
      if (known) return resolve(known);
      const set = waiters.get(id) ?? new Set();
      waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) waiters.delete(id);
        resolve(projection.tweet(id));
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  return { projection, hub, follower, waitForTweet };
}

/** Publishes an event and waits for the ack; fails fast while disconnected. */
function publisher(conn: Connection, stream: string, connection: ConnectionWatch) {
  return async (event: TweetEvent): Promise<PublishResult> => {
    // the client retries; nothing waits in a buffer for minutes
    if (!connection.connected()) throw new CliError("not connected to NATS", ExitCode.Connection);
    const ack = await publishMessage(
      conn.js(),
      subjectFor(stream, event.messageType),
      encodeEvent(event),
      {
        msgID: messageIdFor(event),
        timeoutMs: conn.settings.timeoutMs,
        retries: 1,
        expectStream: stream,
      },
    );
    return { seq: ack.seq, duplicate: ack.duplicate };
  };
}

/** /healthz: connected, and the stream answers. */
function healthCheck(conn: Connection, stream: string, connection: ConnectionWatch, b: Booted) {
  return async (): Promise<Health> => {
    const base = {
      stream,
      tweets: b.projection.tweetCount,
      likes: b.projection.totalLikes,
      projected_seq: b.projection.lastSeq,
      sse_clients: b.hub.size,
    };
    if (!connection.connected()) {
      return { ok: false, body: { status: "unavailable", nats: "disconnected", ...base } };
    }
    try {
      const lastSeq = await streamLastSeq(conn, stream);
      return { ok: true, body: { status: "ok", nats: "connected", ...base, stream_seq: lastSeq } };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return { ok: false, body: { status: "unavailable", nats: "connected", ...base, error } };
    }
  };
}

/** Stop accepting, end the event streams, let in-flight requests finish (up to the grace period). */
async function closeHttp(
  server: Server,
  app: App,
  hub: SseHub,
  graceMs: number,
  cutShort: Promise<void>,
) {
  app.stopAccepting();
  server.close();
  server.closeIdleConnections();
  hub.closeAll();
  const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
  const finished = (async () => {
    while (app.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  })();
  await Promise.race([finished, grace, cutShort]);
  server.closeAllConnections();
}

export async function runServe(ctx: CommandContext, opts: ServeOptions): Promise<void> {
  const { out, stream } = ctx;
  const signals = stopSignal();
  try {
    const conn = await ctx.connect();
    const booted = await bootProjection(ctx, conn, signals.promise);
    if (!booted) return;
    const { projection, hub, follower } = booted;
    const connection = watchConnection(conn, (up) => {
      if (up) out.warn("reconnected to NATS; accepting writes again");
      else out.warn("lost the connection to NATS; writes answer 503 until it is back");
    });
    const app = createApp({
      stream,
      projection,
      hub,
      maxBodyBytes: opts.maxBodyBytes,
      publish: publisher(conn, stream, connection),
      health: healthCheck(conn, stream, connection, booted),
      waitForTweet: booted.waitForTweet,
      logError: (text) => out.warn(text),
      ...(opts.accessLog ? { accessLog: (line: string) => process.stderr.write(line + "\n") } : {}),
      front: webFront(opts.cors, (text) => out.warn(text)),
    });
    const server = createServer(
      {
        requestTimeout: opts.requestTimeoutMs,
        headersTimeout: Math.min(opts.requestTimeoutMs, 10_000),
        keepAliveTimeout: 5_000,
        // Node checks those timeouts this often (default 30s, too coarse for a 1s bound)
        connectionsCheckingInterval: Math.min(opts.requestTimeoutMs / 2, 1_000),
      },
      app.handle,
    );
    let addr: AddressInfo;
    try {
      addr = await listen(server, opts.host, opts.port);
    } catch (err) {
      connection.stop();
      hub.closeAll();
      await follower.stop();
      throw err;
    }
    const info: ListeningInfo = {
      status: "listening",
      url: urlOf(addr),
      host: addr.address,
      port: addr.port,
      stream,
      tweets: projection.tweetCount,
      likes: projection.totalLikes,
      last_seq: projection.lastSeq,
    };
    if (out.json) await out.printNdjson(info);
    else {
      await out.result(
        `Listening on ${info.url} (stream ${stream}: ${plural(info.tweets, "tweet")}, ${plural(info.likes, "like")})`,
      );
      out.info("Press Ctrl-C to stop.");
    }

    // the connection only closes for good on an error that reconnecting cannot fix (auth)
    const lost = conn.nc.closed().then(() => "lost" as const);
    const why = await Promise.race([signals.promise, lost]);
    // a second signal cuts the grace period short
    const cutShort = new Promise<void>((resolve) => signals.again(resolve));
    await closeHttp(server, app, hub, opts.gracePeriodMs, cutShort);
    connection.stop();
    await follower.stop();
    if (why === "lost") throw new CliError("lost the connection to NATS", ExitCode.Connection);
    out.info(`Stopped (${why}).`);
  } finally {
    signals.dispose();
  }
}
