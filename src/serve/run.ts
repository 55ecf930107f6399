// `serve`'s lifecycle: check the stream and that we may read it, listen (probes, the page
// and /readyz answer at once), bring the timeline up to date (src/serve/timeline/), say where
// it listens, and on SIGINT/SIGTERM stop accepting, let in-flight requests finish, end
// the event streams, stop following and writing the timeline, and delete this instance's
// consumers (cli.ts then drains NATS). Returns when stopped.

import { createServer } from "node:http";
import { hostname } from "node:os";
import type { AddressInfo } from "node:net";
import type { Invocation } from "../invocation.js";
import { CliError, ExitCode } from "../errors.js";
import type { TweetEvent } from "../events.js";
import {
  checkConsumerCreate,
  followStream,
  streamState,
  watchConnection,
  type ConnectionWatch,
  type FollowOptions,
} from "../nats/follow.js";
import type { Connection } from "../nats/connection.js";
import { publishableEvent, subjectsOf } from "../publishing/publishable.js";
import { messagePublisher } from "../publishing/publisher.js";
import { openTimelineBucket } from "../nats/timeline-bucket.js";
import { storedEventAt } from "../nats/event-at.js";
import { untilReadsAnswer } from "../nats/reads-ready.js";
import { plural } from "../output/format.js";
import { redact, redactServers, registerSecret } from "../redact.js";
import { startSpinner } from "../output/spinner.js";
import { createApp, type Health, type PublishResult } from "./app.js";
import { closeHttp, leaveNats, listen, settledBy, stopSignal, urlOf } from "./lifecycle.js";
import type { CorsPolicy } from "./cors.js";
import { limited, streamEvents } from "./replay.js";
import { Timeline } from "./timeline/timeline.js";
import { eventOf } from "./timeline/model.js";
import { webFront } from "./web.js";
import { createRequestGuard, isLoopbackHost, type AllowedHosts } from "./guard.js";
import { createServeLog, withServeLog, type LogFormat } from "./log.js";
import { createServeMetrics, metricsSampler } from "./metrics.js";

/** Replays of /events whose consumers are being created at one time. */
const REPLAYS_STARTING = 4;

/**
 * What stopping may spend on NATS after the grace period (saving the timeline, giving up the
 * lease, deleting this instance's consumers): a NATS that is gone or stalled must not
 * hold the stop past what systemd or Kubernetes wait.
 */
const STOP_BUDGET_MS = 2_000;

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
  /** --allowed-hosts: Host names answered besides serve's own */
  allowedHosts?: AllowedHosts;
  /** --auth-token: the token every write needs (a secret: never printed) */
  authToken?: string;
  /** --log-format: access lines and warnings as text (default) or one JSON object a line */
  logFormat?: LogFormat;
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
  /** the NATS servers serve was given, credentials never shown */
  nats_servers: string;
}

/**
 * This instance's name, as its consumers and the timeline's lease show it:
 * `tweetstream-serve-<host>-<pid>` (characters a consumer name may not have become `_`).
 */
export function instanceName(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, "_")
      .slice(0, 64) || "host";
  return `tweetstream-serve-${host}-${process.pid}`;
}

/**
 * Checks the stream and that we may read it, and opens the timeline's bucket: the timeline, not
 * started yet (the port opens first; `startTimeline` brings it up to date behind it).
 */
async function prepareTimeline(inv: Invocation, conn: Connection, name: string) {
  const { out, stream } = inv;
  const state = await streamState(conn, stream).catch((err: unknown) => {
    if (err instanceof CliError && err.exitCode === ExitCode.NotFound) {
      throw new CliError(
        `stream ${stream} not found; create it with: tweetstream stream add ${stream}`,
        ExitCode.NotFound,
      );
    }
    throw err;
  });
  // fail fast where the readers' consumer creates would be retried for the whole budget
  await checkConsumerCreate(conn, stream, `${name}-check`);
  if (state.online < state.replicas)
    out.warn(
      `${state.replicas - state.online} of the ${state.replicas} replicas of stream ${stream} offline: the view's bucket, if created now, gets ${state.online}`,
    );
  const bucket = await openTimelineBucket(conn, stream, Math.min(state.replicas, state.online));
  // a bucket just made may answer its first direct gets with "no responders" for a moment
  await untilReadsAnswer(conn, `KV_${bucket.name}`);
  const spinner = await startSpinner(out, `Reading the view of stream ${stream}…`);
  const line = (say: (text: string) => void) => (text: string) =>
    out.spinners ? spinner.log(text) : say(text);
  const note = line((text) => out.info(text));
  const timeline = new Timeline({
    conn,
    stream,
    bucket,
    owner: name,
    namePrefix: `${name}-`,
    warn: line((text) => out.warn(text)),
    progress: (text) => spinner.text(text),
  });
  return { timeline, spinner, note };
}

/** Brings the timeline up to date (the port answers meanwhile); false if interrupted. */
async function startTimeline(
  timeline: Timeline,
  spinner: { stop(): void },
  interrupted: Promise<unknown>,
): Promise<boolean> {
  try {
    if (await timeline.start(interrupted)) return true;
  } catch (err) {
    await timeline.stop().catch(() => undefined);
    throw err;
  } finally {
    spinner.stop();
  }
  await timeline.stop();
  return false;
}

/**
 * Publishes an event and waits for the ack. Fails fast while disconnected (the client
 * retries; nothing waits in a buffer for minutes); while connected, a publish that gets no
 * JetStream answer (a leader election) is retried with the same message id within the
 * retry budget (3 × --timeout, src/nats/retry.ts), then fails with exit 6 (503).
 */
function publisher(
  conn: Connection,
  stream: string,
  connection: ConnectionWatch,
  timeline: Timeline,
  onRetried: () => void,
) {
  const publish = messagePublisher(conn, stream);
  const subjects = subjectsOf(stream);
  return async (event: TweetEvent, msgId?: string): Promise<PublishResult> => {
    if (!connection.connected()) throw new CliError("not connected to NATS", ExitCode.Connection);
    const ack = await (
      await publish
    )(publishableEvent(subjects, event, msgId)).catch((err: unknown) => {
      // a full stream or account: /healthz says so until a publish is stored
      timeline.notePublished(err);
      throw err;
    });
    timeline.notePublished();
    if (ack.retried) onRetried();
    return { seq: ack.seq, duplicate: ack.duplicate };
  };
}

/**
 * /healthz: connected, and the stream answers (else 503); "degraded" (still 200: reads are
 * served) while the timeline is being repaired or its bucket takes no writes, with why.
 */
function healthCheck(
  conn: Connection,
  stream: string,
  connection: ConnectionWatch,
  timeline: Timeline,
) {
  return async (): Promise<Health> => {
    const condition = timeline.condition;
    const base = {
      stream,
      nats_servers: redactServers(conn.settings.servers),
      tweets: timeline.tweetCount,
      likes: timeline.totalLikes,
      projected_seq: timeline.lastSeq,
      sse_clients: timeline.hub.size,
      view: { generation: timeline.generation, writer: timeline.isWriter, ...condition },
    };
    if (!connection.connected()) {
      return { ok: false, body: { status: "unavailable", nats: "disconnected", ...base } };
    }
    try {
      const lastSeq = (await streamState(conn, stream)).last_seq;
      const status = condition.state === "ok" ? "ok" : "degraded";
      return { ok: true, body: { status, nats: "connected", ...base, stream_seq: lastSeq } };
    } catch (err) {
      const error = redact(err instanceof Error ? err.message : String(err));
      return { ok: false, body: { status: "unavailable", nats: "connected", ...base, error } };
    }
  };
}

/** Beyond loopback without a write token, anyone who can reach the port can write. */
function warnIfOpen(opts: ServeOptions, addr: AddressInfo, warn: (text: string) => void): void {
  if (opts.authToken !== undefined || isLoopbackHost(addr.address)) return;
  warn(
    `listening on ${addr.address}, beyond this machine: anyone who can reach port ${addr.port} can post tweets and likes; require a token for writes with --auth-token or TWEETSTREAM_SERVE_TOKEN (see docs/security.md)`,
  );
}

export async function runServe(inv: Invocation, opts: ServeOptions): Promise<void> {
  // the write token is never logged, even if a client puts it in a URL
  registerSecret(opts.authToken);
  const log = createServeLog(opts.logFormat ?? "text", inv.out);
  inv = { ...inv, out: withServeLog(inv.out, log) };
  const { out, stream } = inv;
  const signals = stopSignal();
  const name = instanceName();
  let conn: Connection | undefined;
  const stopping = { reachable: true, timelineStopped: true, deadline: Infinity };
  try {
    conn = await inv.connect();
    const { timeline, spinner, note } = await prepareTimeline(inv, conn, name);
    const c = conn;
    const metrics = createServeMetrics();
    const connection = watchConnection(c, (up) => {
      if (up) metrics.reconnected();
      // the server's host:port (its credentials are never part of it)
      const fields = { nats: up ? "connected" : "disconnected", server: c.nc.getServer() };
      if (up) log.warn("reconnected to NATS; accepting writes again", fields);
      else log.warn("lost the connection to NATS; writes answer 503 until it is back", fields);
    });
    const sampleMetrics = metricsSampler(c, stream, connection.connected, timeline);
    const follow = limited(
      REPLAYS_STARTING,
      (fromSeq: number, onMessage: FollowOptions["onMessage"]) =>
        followStream(c, stream, { fromSeq, namePrefix: `${name}-events-`, batch: 256, onMessage }),
    );
    const guard = createRequestGuard({
      host: opts.host,
      allowedHosts: opts.allowedHosts,
      cors: opts.cors,
      token: opts.authToken,
    });
    const app = createApp({
      stream,
      timeline,
      events: (res, since) => streamEvents(res, since, { hub: timeline.hub, eventOf, follow }),
      maxBodyBytes: opts.maxBodyBytes,
      publish: publisher(c, stream, connection, timeline, metrics.publishRetried),
      storedEvent: storedEventAt(c, stream),
      connected: () => connection.connected(),
      streamLastSeq: async () => (await streamState(c, stream)).last_seq,
      health: healthCheck(c, stream, connection, timeline),
      readiness: () => timeline.readiness,
      metrics: async () => metrics.render(await sampleMetrics()),
      logError: (text, fields) => log.warn(text, fields),
      guard: guard.check,
      front: webFront(opts.cors, (text) => out.warn(text)),
      accessLog: (r) => {
        metrics.request(r.method, r.path, r.status, r.ms);
        if (opts.accessLog) log.access(r);
      },
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
      spinner.stop();
      connection.stop();
      await timeline.stop();
      throw err;
    }
    guard.listening(addr.address, addr.port);
    warnIfOpen(opts, addr, (text) => out.warn(text));
    // probes and the page get an answer while the timeline is brought up to date
    note(`answering on ${urlOf(addr)}; GET /readyz says 503 until the view is up to date`);
    const closeNow = () => {
      server.close();
      server.closeAllConnections();
    };
    const started = await startTimeline(timeline, spinner, signals.promise).catch(
      (err: unknown) => {
        connection.stop();
        closeNow();
        throw err;
      },
    );
    if (!started) {
      connection.stop();
      closeNow();
      return;
    }
    const info: ListeningInfo = {
      status: "listening",
      url: urlOf(addr),
      host: addr.address,
      port: addr.port,
      stream,
      tweets: timeline.tweetCount,
      likes: timeline.totalLikes,
      last_seq: timeline.lastSeq,
      nats_servers: redactServers(c.settings.servers),
    };
    if (out.json) await out.printNdjson(info);
    else {
      await out.result(
        `Listening on ${info.url} (stream ${stream}: ${plural(info.tweets, "tweet")}, ${plural(info.likes, "like")}; NATS ${info.nats_servers})`,
      );
      out.info("Press Ctrl-C to stop.");
    }

    // the connection only closes for good on an error that reconnecting cannot fix (auth)
    const lost = c.nc.closed().then(() => "lost" as const);
    const why = await Promise.race([signals.promise, lost]);
    // a second signal cuts the grace period short
    const cutShort = new Promise<void>((resolve) => signals.again(resolve));
    await closeHttp(server, app, timeline, opts.gracePeriodMs, cutShort);
    stopping.reachable = connection.connected();
    stopping.deadline = Date.now() + (stopping.reachable ? STOP_BUDGET_MS : 0);
    connection.stop();
    // unreachable: the timeline stops following and writing, but nothing waits for NATS
    stopping.timelineStopped = await settledBy(timeline.stop(), stopping.deadline);
    if (why === "lost") throw new CliError("lost the connection to NATS", ExitCode.Connection);
    out.info(`Stopped (${why}).`);
  } finally {
    signals.dispose();
    if (conn && !conn.nc.isClosed()) {
      stopping.deadline = Math.min(stopping.deadline, Date.now() + STOP_BUDGET_MS);
      await leaveNats(conn, stream, name, stopping, (text) => out.warn(text));
    }
  }
}
