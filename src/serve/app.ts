// The HTTP side of `serve`: one request handler over the view, the event streams and a
// publish function. Reads bodies with a size limit, checks content types and fields,
// answers JSON errors, and never says 2xx for an event JetStream did not acknowledge.

import type { IncomingMessage, ServerResponse } from "node:http";
import { CliError, ExitCode } from "../errors.js";
import { buildLike, buildTweet, type TweetEvent } from "../events.js";
import { HttpError, isHttpError } from "./http-error.js";
import { matchRoute } from "./routes.js";
import type { TweetDetail, TweetView } from "./timeline/model.js";
import {
  checkJsonContentType,
  idempotencyKey,
  likeAuthor,
  likeMessageIdForKey,
  parseJsonBody,
  timelineQuery,
  tweetIdForKey,
  tweetIdParam,
  tweetInput,
} from "./validate.js";
import { isTransient } from "../nats/errors.js";
import type { AccessRecord } from "./log.js";
import type { Readiness } from "./timeline/readiness.js";

/**
 * Routes answered while the view is built (the page itself is the front's); the newest
 * page of the timeline is read from the stream's tail meanwhile (src/serve/timeline/tail.ts).
 */
const BEFORE_READY = new Set(["healthz", "readyz", "metrics", "listTweets"]);

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

export interface Health {
  ok: boolean;
  body: Record<string, unknown>;
}

/** What the app reads: the view of the stream (memory, then the bucket and the stream). */
export interface ViewReads {
  /** `lastSeq`: the stream sequence the page is as of (GET /events?since= continues it) */
  timeline(
    limit: number,
    before?: number,
  ): Promise<{ tweets: TweetView[]; total: number; lastSeq: number }>;
  tweet(id: string): Promise<TweetDetail | undefined>;
  /** resolves once the view has read the stream up to `seq` (or after `ms`) */
  waitForSeq(seq: number, ms: number): Promise<void>;
  /** resolves once the view knows `id` (or after `ms`) */
  waitForTweet(id: string, ms: number): Promise<TweetDetail | undefined>;
  /** the like count of `id` once the like stored at `seq` is counted */
  likesAfter(id: string, seq: number): Promise<number>;
  /** the last stream sequence the view has read */
  readonly lastSeq: number;
}

export interface AppDeps {
  stream: string;
  view: ViewReads;
  /** opens GET /events on `res`: the events after `since` (if given), then live ones */
  events(res: ServerResponse, since: number | undefined): Promise<void>;
  maxBodyBytes: number;
  /** publishes (with `msgId`, else the event's own) and waits for the JetStream ack; throws a CliError otherwise */
  publish(event: TweetEvent, msgId?: string): Promise<PublishResult>;
  /** the event stored at `seq` (null: none, or not an event); a like's retry checks its body */
  storedEvent(seq: number): Promise<TweetEvent | null>;
  /** false while the NATS connection is down: writes answer 503 before anything else */
  connected(): boolean;
  /** the stream's last sequence now (a tweet the view lacks may be stored up to it) */
  streamLastSeq(): Promise<number>;
  health(): Promise<Health>;
  /** GET /readyz; until ready, every other route but /healthz and /metrics answers 503 */
  readiness?: () => Readiness;
  /** GET /metrics: the Prometheus text (src/serve/metrics.ts); 404 without */
  metrics?: () => Promise<string>;
  /** one line per failed request, for the operator */
  logError(text: string, context?: Record<string, unknown>): void;
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

const JSON_HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
};

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { ...JSON_HEADERS, ...headers });
  res.end(JSON.stringify(body) + "\n");
}

/** The body, at most `limit` bytes (413 beyond, before reading it when Content-Length says so). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    // the client went away mid-body ("aborted" is deprecated since Node 17)
    req.on("close", () => {
      if (!req.complete) reject(new HttpError(400, "the request was aborted"));
    });
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `the body is larger than ${limit} bytes`, { Connection: "close" });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/**
 * A publish failure as HTTP: the event is not known to be stored, so never 2xx. The status
 * says whether retrying can help: 503 (with Retry-After) only for what passes (no
 * connection, no JetStream answer within the retry budget); 507 for a full stream, 403
 * when serve's NATS user may not publish, 500 when the server confirmed the stream is gone.
 */
export function publishError(err: unknown): HttpError {
  if (err instanceof CliError) {
    const text = `not stored: ${err.message}`;
    switch (err.exitCode) {
      case ExitCode.Timeout:
        return new HttpError(503, text, { "Retry-After": "1" });
      case ExitCode.Connection:
        if (/^permission denied/.test(err.message)) return new HttpError(403, text);
        return new HttpError(503, text, { "Retry-After": "1" });
      case ExitCode.Conflict:
        return new HttpError(507, text);
      case ExitCode.NotFound:
        return new HttpError(500, text);
      case ExitCode.Usage:
        return new HttpError(413, text);
    }
  }
  return new HttpError(500, "not stored: internal error");
}

/**
 * A read of NATS (the view's bucket, a stored message) that failed in a way that passes:
 * NATS is down, or no answer came in time. 503 with Retry-After, like a write that
 * could not be stored; undefined for anything else (a 500).
 */
export function unavailableError(err: unknown, connected: boolean): HttpError | undefined {
  const passing =
    !connected ||
    isTransient(err) ||
    (err instanceof CliError &&
      (err.exitCode === ExitCode.Timeout || err.exitCode === ExitCode.Connection));
  if (!passing) return undefined;
  const why = connected ? "no answer from NATS in time" : "not connected to NATS";
  return new HttpError(503, `${why}; retry`, { "Retry-After": "1" });
}

/**
 * The path and query of a request target. An ordinary path is taken as it is (`new URL`
 * cost more than the rest of routing a GET); anything else is normalised by `new URL`.
 */
function requestTarget(raw = "/"): { pathname: string; searchParams: URLSearchParams } {
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  if (!/^\/(?!\/)[A-Za-z0-9_\-/]*$/.test(path) || raw.includes("#")) {
    return new URL(raw, "http://localhost");
  }
  return { pathname: path, searchParams: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

function tweetBody(t: { id: string; message: string; author: string; date: string; seq: number }) {
  return { id: t.id, message: t.message, author: t.author, date: t.date, seq: t.seq };
}

/** How long a lookup waits for a view that is behind the stream before answering 503. */
const CATCH_UP_MS = 1000;

/**
 * The tweet `id`, from the view; when the view lacks it, 404 only once the view has read the
 * stream up to the last sequence it had when asked (nothing later could hold a tweet the client
 * already knew of). A view still behind (a failover, a rebuild) answers 503 with Retry-After:
 * "not read yet" is never "no such tweet".
 */
export async function knownTweet(
  view: ViewReads,
  streamLastSeq: () => Promise<number>,
  id: string,
): Promise<TweetDetail> {
  // the view reads what memory lacks from its bucket: NATS unreachable is "not known yet"
  const lookup = () =>
    view.tweet(id).catch((err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      throw new HttpError(503, `tweet ${id} could not be looked up (${why}); retry`, {
        "Retry-After": "1",
      });
    });
  const known = await lookup();
  if (known) return known;
  const last = await streamLastSeq().catch(() => undefined);
  if (last !== undefined) await view.waitForSeq(last, CATCH_UP_MS);
  const found = await lookup();
  if (found) return found;
  if (last !== undefined && view.lastSeq >= last) {
    throw new HttpError(404, `tweet ${id} not found`);
  }
  const where = last === undefined ? "the stream could not be asked" : `stream at ${last}`;
  throw new HttpError(
    503,
    `tweet ${id} is not in the view yet (read up to ${view.lastSeq}, ${where}); retry`,
    { "Retry-After": "1" },
  );
}

export function createApp(deps: AppDeps): App {
  const { view } = deps;
  let inFlight = 0;
  let accepting = true;
  /** Idempotency-Keys being published right now */
  const pendingKeys = new Set<string>();

  /**
   * While NATS is down nothing can be stored: a write answers 503 at once, before any
   * look-up in the view (which would wait for NATS) and before reading the body.
   */
  function checkConnected(): void {
    if (!deps.connected()) {
      throw publishError(new CliError("not connected to NATS", ExitCode.Connection));
    }
  }

  /**
   * A read while NATS is down: answered from what the instance holds (memory answers
   * before the next turn of the event loop), else 503 at once rather than after waiting
   * for NATS.
   */
  function heldRead<T>(read: Promise<T>): Promise<T> {
    if (deps.connected()) return read;
    const notHeld = new Promise<never>((_, reject) =>
      setImmediate(() => reject(unavailableError(undefined, false))),
    );
    return Promise.race([read, notHeld]);
  }

  async function createTweet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkConnected();
    const key = idempotencyKey(req.headers["idempotency-key"]);
    checkJsonContentType(req.headers["content-type"]);
    const input = tweetInput(parseJsonBody(await readBody(req, deps.maxBodyBytes)));
    if (key === undefined) {
      const event = buildTweet(input);
      const ack = await deps.publish(event).catch((err: unknown) => {
        throw publishError(err);
      });
      // read-your-write: the timeline has it before the client hears 201
      await view.waitForSeq(ack.seq, 2000);
      return sendJson(res, 201, tweetBody({ ...event, seq: ack.seq }), {
        Location: `/tweets/${encodeURIComponent(event.id)}`,
      });
    }
    const id = tweetIdForKey(deps.stream, key);
    const replay = (stored: TweetDetail) => {
      if (stored.message !== input.message || stored.author !== input.author) {
        throw new HttpError(422, "this Idempotency-Key was already used for a different tweet");
      }
      sendJson(res, 201, tweetBody(stored), {
        Location: `/tweets/${encodeURIComponent(id)}`,
        "Idempotent-Replayed": "true",
      });
    };
    const known = await view.tweet(id);
    if (known) return replay(known);
    if (pendingKeys.has(key)) {
      throw new HttpError(409, "a request with this Idempotency-Key is in progress; retry later", {
        "Retry-After": "1",
      });
    }
    pendingKeys.add(key);
    try {
      const event = buildTweet({ ...input, id });
      const ack = await deps.publish(event).catch((err: unknown) => {
        throw publishError(err);
      });
      if (ack.duplicate) {
        // stored earlier by a retry of this key (maybe from another serve): answer what is stored
        const stored = await view.waitForTweet(id, 2000);
        if (stored) return replay(stored);
      } else {
        await view.waitForSeq(ack.seq, 2000);
      }
      sendJson(res, 201, tweetBody({ ...event, seq: ack.seq }), {
        Location: `/tweets/${encodeURIComponent(id)}`,
        ...(ack.duplicate ? { "Idempotent-Replayed": "true" } : {}),
      });
    } finally {
      pendingKeys.delete(key);
    }
  }

  async function likeTweet(req: IncomingMessage, res: ServerResponse, rawId: string) {
    checkConnected();
    const id = tweetIdParam(rawId);
    const key = idempotencyKey(req.headers["idempotency-key"]);
    let author = likeAuthor(undefined);
    if (hasBody(req)) {
      const body = await readBody(req, deps.maxBodyBytes);
      if (body.length > 0) {
        checkJsonContentType(req.headers["content-type"]);
        author = likeAuthor(parseJsonBody(body));
      }
    }
    // 404 only for an id the view, caught up with the stream, does not know
    await knownTweet(view, deps.streamLastSeq, id);
    // tweets and likes share no key space: the same key may stand for one of each
    const pending = key === undefined ? undefined : `like\u0000${key}`;
    if (pending !== undefined && pendingKeys.has(pending)) {
      throw new HttpError(409, "a request with this Idempotency-Key is in progress; retry later", {
        "Retry-After": "1",
      });
    }
    if (pending !== undefined) pendingKeys.add(pending);
    try {
      let event = buildLike({ tweetId: id, author });
      const msgId = key === undefined ? undefined : likeMessageIdForKey(deps.stream, key);
      const ack = await deps.publish(event, msgId).catch((err: unknown) => {
        throw publishError(err);
      });
      if (ack.duplicate) {
        // stored earlier by a retry of this key (maybe through another serve): answer that like
        const stored = await deps.storedEvent(ack.seq).catch(() => {
          throw new HttpError(
            503,
            "stored, but it could not be read back to check the key; retry",
            {
              "Retry-After": "1",
            },
          );
        });
        if (
          stored &&
          (stored.messageType !== "tweet_liked" || stored.id !== id || stored.author !== author)
        ) {
          throw new HttpError(422, "this Idempotency-Key was already used for a different like");
        }
        if (stored) event = stored;
      }
      await view.waitForSeq(ack.seq, 2000);
      sendJson(
        res,
        202,
        {
          id,
          author,
          date: event.date,
          seq: ack.seq,
          likes: await view.likesAfter(id, ack.seq),
        },
        ack.duplicate ? { "Idempotent-Replayed": "true" } : {},
      );
    } finally {
      if (pending !== undefined) pendingKeys.delete(pending);
    }
  }

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
    switch (match.route) {
      case "listTweets": {
        const { limit, before } = timelineQuery(url.searchParams);
        const { tweets, total, lastSeq } = await heldRead(view.timeline(limit, before));
        const last = tweets[tweets.length - 1];
        return sendJson(res, 200, {
          tweets,
          total,
          // the cursor for the next page, when there may be one
          next_before: tweets.length === limit && last ? last.seq : null,
          // GET /events?since=<last_seq> continues this timeline without gap or repeat
          last_seq: lastSeq,
        });
      }
      case "getTweet": {
        const id = tweetIdParam(match.params[0]!);
        return sendJson(res, 200, await heldRead(knownTweet(view, deps.streamLastSeq, id)));
      }
      case "createTweet":
        return createTweet(req, res);
      case "likeTweet":
        return likeTweet(req, res, match.params[0]!);
      case "events": {
        if (req.method === "HEAD") {
          res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8" });
          return void res.end();
        }
        const resume = req.headers["last-event-id"] ?? url.searchParams.get("since") ?? undefined;
        if (resume !== undefined && !/^\d{1,15}$/.test(String(resume))) {
          throw new HttpError(400, "Last-Event-ID / since must be a stream sequence");
        }
        return deps.events(res, resume === undefined ? undefined : Number(resume));
      }
      case "healthz": {
        const h = await deps.health();
        return sendJson(res, h.ok ? 200 : 503, h.body);
      }
      case "readyz":
        return sendJson(res, readiness.ready ? 200 : 503, readiness);
      case "metrics": {
        if (!deps.metrics) throw new HttpError(404, `no route for ${url.pathname}`);
        const text = await deps.metrics();
        res.writeHead(200, {
          "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
          "Cache-Control": "no-store",
        });
        return void res.end(req.method === "HEAD" ? undefined : text);
      }
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
      route(req, res).catch((err: unknown) => {
        if (!isHttpError(err)) err = unavailableError(err, deps.connected()) ?? err;
        if (isHttpError(err)) {
          sendJson(res, err.status, { error: err.message }, err.headers);
          // 503s are the outage the connection watcher already reported, once
          if (err.status >= 500 && err.status !== 503) {
            deps.logError(`${req.method} ${req.url}: ${err.message}`, {
              method: req.method,
              path: req.url,
              status: err.status,
            });
          }
          return;
        }
        deps.logError(
          `${req.method} ${req.url}: internal error: ${err instanceof Error ? err.message : String(err)}`,
          { method: req.method, path: req.url, status: 500 },
        );
        sendJson(res, 500, { error: "internal error" });
      });
    },
  };
}
