// The HTTP side of `serve`: one request handler that finds a route (src/serve/routes.ts)
// and runs its small handler. A handler reads the request (src/serve/http-json.ts,
// src/serve/validate.ts), calls a use-case (src/serve/use-cases.ts: post, like, look up)
// and answers JSON; a failure becomes its status in one place (src/serve/failure.ts).
// Never says 2xx for an event JetStream did not acknowledge.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { TweetEvent } from "../events.js";
import { Failure, httpFailure } from "./failure.js";
import { HttpError } from "./http-error.js";
import {
  readJson,
  readOptionalJson,
  requestTarget,
  sendJson,
  type JsonAnswer,
} from "./http-json.js";
import type { AccessRecord } from "./log.js";
import type { Readiness } from "./timeline/readiness.js";
import { matchRoute, type RouteName } from "./routes.js";
import {
  createUseCases,
  DEFAULT_TIMING,
  type Publish,
  type ServeTiming,
  type UseCases,
  type TimelineReads,
  type Written,
} from "./use-cases.js";
import { idempotencyKey, likeAuthor, timelineQuery, tweetIdParam, tweetInput } from "./validate.js";

/**
 * Routes answered while the timeline is built (the page itself is the front's); the newest
 * page of the timeline is read from the stream's tail meanwhile (src/serve/timeline/tail.ts).
 */
const BEFORE_READY = new Set<RouteName>(["healthz", "readyz", "metrics", "listTweets"]);

export type { PublishResult, ServeTiming, TimelineReads } from "./use-cases.js";

export interface Health {
  ok: boolean;
  body: Record<string, unknown>;
}

export interface AppDeps {
  stream: string;
  timeline: TimelineReads;
  /** opens GET /events on `res`: the events after `since` (if given), then live ones */
  events(res: ServerResponse, since: number | undefined): Promise<void>;
  maxBodyBytes: number;
  /** publishes (with `msgId`, else the event's own) and waits for the JetStream ack; throws a CliError otherwise */
  publish: Publish;
  /** the event stored at `seq` (null: none, or not an event); a like's retry checks its body */
  storedEvent(seq: number): Promise<TweetEvent | null>;
  /** false while the NATS connection is down: writes answer 503 before anything else */
  connected(): boolean;
  /** the stream's last sequence now (a tweet the timeline lacks may be stored up to it) */
  streamLastSeq(): Promise<number>;
  health(): Promise<Health>;
  /** GET /readyz; until ready, every other route but /healthz and /metrics answers 503 */
  readiness?: () => Readiness;
  /** how long answers wait on the timeline (default DEFAULT_TIMING) */
  timing?: ServeTiming;
  /** GET /metrics: the Prometheus text (src/serve/metrics.ts); 404 without */
  metrics?: () => Promise<string>;
  /** one line per failed request, for the operator */
  logError(text: string, fields?: Record<string, unknown>): void;
  /** each answered request (the metrics, and --access-log: src/serve/log.ts writes it) */
  accessLog?: (record: AccessRecord) => void;
  /** Host, Origin and write-token checks (src/serve/guard.ts); true when it refused */
  guard?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** the web page, CORS and security headers (src/serve/web.ts); true when it answered */
  front?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface App {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** requests being answered, SSE streams excluded */
  readonly inFlight: number;
  /** from now on, answer 503 and close connections (shutdown) */
  stopAccepting(): void;
}

/** A matched request, as a handler gets it. */
interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: URLSearchParams;
  /** the path's parameters, decoded (a tweet id) */
  params: string[];
}

/** A route's handler: a JSON answer, or undefined when it answered `res` itself. */
type Handler = (r: Request) => Promise<JsonAnswer | undefined>;

/** 201 or 202 with the written value, and `Idempotent-Replayed` when it was stored before. */
function written<T>(
  status: 201 | 202,
  w: Written<T>,
  headers: Record<string, string> = {},
): JsonAnswer {
  return {
    status,
    body: w.value,
    headers: { ...headers, ...(w.replayed ? { "Idempotent-Replayed": "true" } : {}) },
  };
}

/**
 * A read while NATS is down: answered from what the instance holds (memory answers before
 * the next turn of the event loop), else 503 at once rather than after waiting for NATS.
 */
function heldRead<T>(connected: boolean, read: Promise<T>): Promise<T> {
  if (connected) return read;
  const notHeld = new Promise<never>((_, reject) =>
    setImmediate(() => reject(new Failure("unavailable", "not connected to NATS; retry"))),
  );
  return Promise.race([read, notHeld]);
}

function handlers(deps: AppDeps, use: UseCases): Record<RouteName, Handler> {
  const { timeline } = deps;
  return {
    async listTweets({ query }) {
      const { limit, before } = timelineQuery(query);
      const page = await heldRead(deps.connected(), timeline.page(limit, before));
      const last = page.tweets[page.tweets.length - 1];
      const body = {
        tweets: page.tweets,
        total: page.total,
        // the cursor for the next page, when there may be one
        next_before: page.tweets.length === limit && last ? last.seq : null,
        // GET /events?since=<last_seq> continues this timeline without gap or repeat
        last_seq: page.lastSeq,
      };
      return { status: 200, body };
    },

    async getTweet({ params }) {
      const id = tweetIdParam(params[0]!);
      return { status: 200, body: await heldRead(deps.connected(), use.knownTweet(id)) };
    },

    async createTweet({ req }) {
      use.checkWritable();
      const key = idempotencyKey(req.headers["idempotency-key"]);
      const input = tweetInput(await readJson(req, deps.maxBodyBytes));
      const w = await use.postTweet(input, key);
      return written(201, w, { Location: `/tweets/${encodeURIComponent(w.value.id)}` });
    },

    async likeTweet({ req, params }) {
      use.checkWritable();
      const id = tweetIdParam(params[0]!);
      const key = idempotencyKey(req.headers["idempotency-key"]);
      const author = likeAuthor(await readOptionalJson(req, deps.maxBodyBytes));
      return written(202, await use.likeTweet(id, author, key));
    },

    async events({ req, res, query }) {
      if (req.method === "HEAD") {
        res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8" });
        return void res.end();
      }
      const resume = req.headers["last-event-id"] ?? query.get("since") ?? undefined;
      if (resume !== undefined && !/^\d{1,15}$/.test(String(resume))) {
        throw new HttpError(400, "Last-Event-ID / since must be a stream sequence");
      }
      await deps.events(res, resume === undefined ? undefined : Number(resume));
      return undefined;
    },

    async healthz() {
      const h = await deps.health();
      return { status: h.ok ? 200 : 503, body: h.body };
    },

    async readyz() {
      const readiness = deps.readiness?.() ?? { ready: true };
      return { status: readiness.ready ? 200 : 503, body: readiness };
    },

    async metrics({ req, res, path }) {
      if (!deps.metrics) throw new HttpError(404, `no route for ${path}`);
      const text = await deps.metrics();
      res.writeHead(200, {
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
        "Cache-Control": "no-store",
      });
      return void res.end(req.method === "HEAD" ? undefined : text);
    },
  };
}

export function createApp(deps: AppDeps): App {
  const use = createUseCases({ ...deps, timing: deps.timing ?? DEFAULT_TIMING });
  const routes = handlers(deps, use);
  let inFlight = 0;
  let accepting = true;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestTarget(req.url);
    const match = matchRoute(req.method ?? "GET", url.pathname);
    if (!match.ok) {
      if (match.status === 405) {
        throw new HttpError(405, `method ${req.method} not allowed on ${url.pathname}`, {
          Allow: match.allow.join(", "),
        });
      }
      throw new HttpError(404, `no route for ${url.pathname}`);
    }
    const readiness = deps.readiness?.() ?? { ready: true };
    if (!readiness.ready && !BEFORE_READY.has(match.route)) {
      const { seq, of } = readiness.view;
      throw new HttpError(503, `not ready: ${readiness.reason} (${seq} of ${of}); retry`, {
        "Retry-After": "1",
      });
    }
    const answer = await routes[match.route]({
      req,
      res,
      path: url.pathname,
      query: url.searchParams,
      params: match.params,
    });
    if (answer) sendJson(res, answer.status, answer.body, answer.headers);
  }

  /** A failed request: its status and one line; 5xx other than 503 logged for the operator. */
  function fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const http = httpFailure(err, deps.connected());
    const request = { method: req.method, path: req.url };
    if (!http) {
      const why = err instanceof Error ? err.message : String(err);
      deps.logError(`${req.method} ${req.url}: internal error: ${why}`, {
        ...request,
        status: 500,
      });
      return sendJson(res, 500, { error: "internal error" });
    }
    sendJson(res, http.status, { error: http.message }, http.headers);
    // 503s are the outage the connection watcher already reported, once
    if (http.status >= 500 && http.status !== 503) {
      deps.logError(`${req.method} ${req.url}: ${http.message}`, {
        ...request,
        status: http.status,
      });
    }
  }

  return {
    get inFlight() {
      return inFlight;
    },
    stopAccepting() {
      accepting = false;
    },
    handle(req, res) {
      if (!accepting) {
        sendJson(res, 503, { error: "shutting down" }, { Connection: "close" });
        return;
      }
      if (deps.accessLog) {
        const started = performance.now();
        const log = deps.accessLog;
        res.on("close", () => {
          const status = res.writableFinished || res.headersSent ? res.statusCode : 0;
          const ms = performance.now() - started;
          log({ method: req.method ?? "", path: req.url ?? "", status, ms });
        });
      }
      if (deps.guard?.(req, res)) return;
      if (deps.front?.(req, res)) return;
      const isEvents = req.url?.startsWith("/events") ?? false;
      if (!isEvents) {
        inFlight++;
        res.on("close", () => inFlight--);
      }
      route(req, res).catch((err: unknown) => fail(req, res, err));
    },
  };
}
