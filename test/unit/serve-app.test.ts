// serve's HTTP app against in-memory dependencies (no nats-server, no build): a fake stream
// that stores what is published (deduplicating by message id, as JetStream's window does)
// and a timeline that reads it at once. What a request may be answered, and that a refused
// request stores nothing; test/integration/serve.test.ts keeps a few of these end to end.

import { createServer, type Server } from "node:http";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CliError, ExitCode } from "../../src/errors.js";
import { messageIdFor, type TweetEvent } from "../../src/events.js";
import { createApp, type AppDeps, type PublishResult } from "../../src/serve/app.js";
import type { TweetDetail } from "../../src/serve/timeline/model.js";

/** A stream in memory and a timeline that has read all of it. */
function fakeStream() {
  const stored: Array<{ event: TweetEvent; msgId: string }> = [];
  const tweetAt = (i: number): TweetDetail => {
    const e = stored[i]!.event;
    const likes = stored.filter(
      (s) => s.event.messageType === "tweet_liked" && s.event.id === e.id,
    );
    return {
      id: e.id,
      message: e.message,
      author: e.author,
      date: e.date,
      seq: i + 1,
      likes: likes.length,
      liked_by: likes.map((l) => ({
        author: l.event.author,
        date: l.event.date,
        seq: stored.indexOf(l) + 1,
      })),
    };
  };
  const tweet = (id: string) => {
    const i = stored.findIndex((s) => s.event.messageType === "tweet_created" && s.event.id === id);
    return i < 0 ? undefined : tweetAt(i);
  };
  const timeline = {
    get lastSeq() {
      return stored.length;
    },
    page: async (limit: number) => {
      const tweets = stored
        .map((s, i) => (s.event.messageType === "tweet_created" ? tweetAt(i) : undefined))
        .filter((t) => t !== undefined)
        .reverse();
      return { tweets: tweets.slice(0, limit), total: tweets.length, lastSeq: stored.length };
    },
    tweet: async (id: string) => tweet(id),
    waitForSeq: async () => undefined,
    waitForTweet: async (id: string) => tweet(id),
    likesAfter: async (id: string) => tweet(id)?.likes ?? 0,
  };
  /** publishes, deduplicating by message id */
  const publish = async (event: TweetEvent, msgId?: string): Promise<PublishResult> => {
    const id = msgId ?? messageIdFor(event);
    const seen = stored.findIndex((s) => s.msgId === id);
    if (seen >= 0) return { seq: seen + 1, duplicate: true };
    stored.push({ event, msgId: id });
    return { seq: stored.length, duplicate: false };
  };
  return { stored, timeline, publish };
}

type Overrides = Partial<AppDeps>;

let server: Server | undefined;
afterEach(() => server?.close());

async function serveApp(overrides: Overrides = {}) {
  const stream = fakeStream();
  const logged: string[] = [];
  const deps: AppDeps = {
    stream: "S",
    timeline: stream.timeline,
    events: async (res) => void res.end(),
    maxBodyBytes: 16_384,
    publish: stream.publish,
    storedEvent: async (seq) => stream.stored[seq - 1]?.event ?? null,
    connected: () => true,
    streamLastSeq: async () => stream.stored.length,
    health: async () => ({ ok: true, body: { status: "ok" } }),
    logError: (text) => logged.push(text),
    ...overrides,
  };
  const app = createApp(deps);
  server = createServer(app.handle);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, stored: stream.stored, logged, app };
}

const JSON_TYPE = { "Content-Type": "application/json" };
const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { ...JSON_TYPE, ...headers }, body });
const errorOf = async (r: Response) => ((await r.json()) as { error: string }).error;
const TWEET = '{"message":"hello","author":"ann"}';

describe("serve's app: bad requests", () => {
  it("answers each with a JSON error and the documented status, and stores nothing", async () => {
    const { url, stored } = await serveApp();
    const cases: Array<[string, RequestInit, number, RegExp]> = [
      ["/tweets", { method: "POST", headers: JSON_TYPE, body: "{not json" }, 400, /not valid JSON/],
      ["/tweets", { method: "POST", headers: JSON_TYPE, body: "" }, 400, /empty/],
      ["/tweets", { method: "POST", headers: JSON_TYPE, body: "[1]" }, 400, /JSON object/],
      [
        "/tweets",
        { method: "POST", headers: JSON_TYPE, body: '{"author":"a"}' },
        400,
        /message is required/,
      ],
      [
        "/tweets",
        { method: "POST", headers: JSON_TYPE, body: '{"message":" ","author":"a"}' },
        400,
        /message must not be empty/,
      ],
      [
        "/tweets",
        { method: "POST", headers: JSON_TYPE, body: '{"message":"m","author":7}' },
        400,
        /author must be a string/,
      ],
      [
        "/tweets",
        {
          method: "POST",
          headers: JSON_TYPE,
          body: JSON.stringify({ message: "é".repeat(281), author: "a" }),
        },
        400,
        /longer than 280/,
      ],
      [
        "/tweets",
        {
          method: "POST",
          headers: JSON_TYPE,
          body: JSON.stringify({ message: "m", author: "x".repeat(65) }),
        },
        400,
        /longer than 64/,
      ],
      [
        "/tweets",
        {
          method: "POST",
          headers: JSON_TYPE,
          body: JSON.stringify({ message: "m\u0007", author: "a" }),
        },
        400,
        /control characters/,
      ],
      [
        "/tweets",
        { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" },
        415,
        /application\/json/,
      ],
      ["/tweets", { method: "POST", body: TWEET }, 415, /content type/],
      [
        "/tweets",
        { method: "POST", headers: { ...JSON_TYPE, "Idempotency-Key": "a b" }, body: TWEET },
        400,
        /Idempotency-Key must be/,
      ],
      ["/tweets?limit=0", {}, 400, /limit must be/],
      ["/tweets?limit=abc", {}, 400, /limit must be/],
      ["/tweets?limit=1001", {}, 400, /limit must be/],
      ["/tweets?before=-1", {}, 400, /before must be/],
      ["/nowhere", {}, 404, /no route/],
      ["/tweets/x/likes/y", {}, 404, /no route/],
      ["/metrics", {}, 404, /no route/],
      ["/tweets", { method: "DELETE" }, 405, /not allowed/],
      ["/tweets/x/likes", {}, 405, /not allowed/],
      ["/tweets/x/likes", { method: "POST", headers: JSON_TYPE, body: "{" }, 400, /not valid JSON/],
      [
        "/tweets/x/likes",
        { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" },
        415,
        /content type/,
      ],
      [
        "/tweets/x/likes",
        { method: "POST", headers: JSON_TYPE, body: '{"author":""}' },
        400,
        /author must not be empty/,
      ],
      ["/events?since=abc", {}, 400, /stream sequence/],
    ];
    for (const [path, init, status, message] of cases) {
      const r = await fetch(`${url}${path}`, init);
      const what = `${init.method ?? "GET"} ${path}`;
      expect(r.status, what).toBe(status);
      expect(r.headers.get("content-type"), what).toBe("application/json; charset=utf-8");
      expect(await errorOf(r), what).toMatch(message);
    }
    expect(stored).toEqual([]);
    const put = await fetch(`${url}/tweets`, { method: "PUT" });
    expect(put.headers.get("allow")).toBe("GET, POST, HEAD");
  });

  it("413 from Content-Length alone, without waiting for the body", async () => {
    const { url, stored } = await serveApp();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/tweets`, {
        method: "POST",
        headers: { ...JSON_TYPE, "Content-Length": String(50 * 1024 * 1024) },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      req.write("{");
    });
    expect(status).toBe(413);
    expect(stored).toEqual([]);
  });

  it("413 while reading a body sent without Content-Length (chunked) once past the limit", async () => {
    const { url, stored } = await serveApp();
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/tweets`, { method: "POST", headers: JSON_TYPE });
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      // the server may close the connection once it has answered
      req.on("error", (err) => (err.message.includes("EPIPE") ? undefined : reject(err)));
      req.write(`{"message":"${"m".repeat(10_000)}`);
      req.write(`${"m".repeat(10_000)}","author":"a"}`);
      req.end();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error).toBe("the body is larger than 16384 bytes");
    expect(stored).toEqual([]);
  });

  it("a like of a tweet the timeline, caught up with the stream, does not know is 404", async () => {
    const { url, stored } = await serveApp();
    const r = await post(`${url}/tweets/nope/likes`, "{}");
    expect(r.status).toBe(404);
    expect(await errorOf(r)).toBe("tweet nope not found");
    expect(stored).toEqual([]);
  });
});

describe("serve's app: writes", () => {
  it("201 with Location once stored; a like is 202 with the count; anonymous without a body", async () => {
    const { url, stored } = await serveApp();
    const r = await post(`${url}/tweets`, TWEET);
    expect(r.status).toBe(201);
    const tweet = (await r.json()) as { id: string; seq: number; message: string };
    expect(tweet).toMatchObject({ message: "hello", author: "ann", seq: 1 });
    expect(r.headers.get("location")).toBe(`/tweets/${tweet.id}`);
    expect(r.headers.get("idempotent-replayed")).toBeNull();
    const liked = await fetch(`${url}/tweets/${tweet.id}/likes`, { method: "POST" });
    expect(liked.status).toBe(202);
    expect(await liked.json()).toMatchObject({
      id: tweet.id,
      author: "anonymous",
      seq: 2,
      likes: 1,
    });
    expect(stored.map((s) => s.event.messageType)).toEqual(["tweet_created", "tweet_liked"]);
    const got = await fetch(`${url}/tweets/${tweet.id}`);
    expect(await got.json()).toMatchObject({
      id: tweet.id,
      likes: 1,
      liked_by: [{ author: "anonymous", seq: 2 }],
    });
  });

  it("Idempotency-Key: a retry replays the stored tweet; another body is 422; nothing stored twice", async () => {
    const { url, stored } = await serveApp();
    const key = { "Idempotency-Key": "k-1" };
    const first = await post(`${url}/tweets`, TWEET, key);
    const again = await post(`${url}/tweets`, TWEET, key);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    const other = await post(`${url}/tweets`, '{"message":"other","author":"ann"}', key);
    expect(other.status).toBe(422);
    expect(await errorOf(other)).toMatch(/different tweet/);
    expect(stored).toHaveLength(1);
  });

  it("Idempotency-Key on a like: once per key, the same key may stand for a tweet too; another author 422", async () => {
    const { url, stored } = await serveApp();
    const key = { "Idempotency-Key": "k" };
    const { id } = (await (await post(`${url}/tweets`, TWEET, key)).json()) as { id: string };
    const like = () => post(`${url}/tweets/${id}/likes`, '{"author":"bob"}', key);
    const [a, b] = [await like(), await like()];
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(await b.json()).toMatchObject({ author: "bob", likes: 1 });
    const other = await post(`${url}/tweets/${id}/likes`, '{"author":"eve"}', key);
    expect(other.status).toBe(422);
    expect(await errorOf(other)).toMatch(/different like/);
    expect(stored.map((s) => s.event.messageType)).toEqual(["tweet_created", "tweet_liked"]);
  });

  it("a second request with a key being published is 409 with Retry-After", async () => {
    const { stored, timeline, publish } = fakeStream();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { url } = await serveApp({
      timeline,
      storedEvent: async (seq) => stored[seq - 1]?.event ?? null,
      publish: async (event, msgId) => {
        await held;
        return publish(event, msgId);
      },
    });
    const key = { "Idempotency-Key": "busy" };
    const first = post(`${url}/tweets`, TWEET, key);
    // the first holds the key once the fake publish is waiting; poll until the second sees it
    const deadline = Date.now() + 10_000;
    let second: Response;
    for (;;) {
      second = await post(`${url}/tweets`, TWEET, key);
      if (second.status === 409 || Date.now() > deadline) break;
    }
    expect(second.status).toBe(409);
    expect(second.headers.get("retry-after")).toBe("1");
    release();
    expect((await first).status).toBe(201);
    expect(stored).toHaveLength(1);
  });
});

describe("serve's app: a failure becomes its status in one place", () => {
  const failing = (err: unknown): Overrides => ({ publish: () => Promise.reject(err) });
  const denied = Object.assign(new Error("Permissions Violation for Publish"), {
    code: "PERMISSIONS_VIOLATION",
  });
  const cases: Array<[string, unknown, number, string | null]> = [
    ["no JetStream answer in the budget", new CliError("no answer", ExitCode.Timeout), 503, "1"],
    ["connection lost", new CliError("lost the connection", ExitCode.Connection), 503, "1"],
    [
      "permission denied (by the cause's code)",
      new CliError("permission denied: x", ExitCode.Connection, { cause: denied }),
      403,
      null,
    ],
    ["a full stream", new CliError("stream S is full", ExitCode.Conflict), 507, null],
    ["the stream is gone", new CliError("stream S not found", ExitCode.NotFound), 500, null],
    ["a message too large", new CliError("too large", ExitCode.Usage), 413, null],
  ];
  for (const [what, err, status, retryAfter] of cases) {
    it(`a publish failing with ${what}: ${status}`, async () => {
      const { url, logged } = await serveApp(failing(err));
      const r = await post(`${url}/tweets`, TWEET);
      expect(r.status).toBe(status);
      expect(r.headers.get("retry-after")).toBe(retryAfter);
      expect(await errorOf(r)).toBe(`not stored: ${(err as Error).message}`);
      // 5xx other than 503 reach the operator's log; 503s were reported by the watcher
      expect(logged.length).toBe(status >= 500 && status !== 503 ? 1 : 0);
    });
  }

  it("a permission text without the cause's code is not taken for a denial", async () => {
    const { url } = await serveApp(
      failing(new CliError("permission denied: x", ExitCode.Connection)),
    );
    expect((await post(`${url}/tweets`, TWEET)).status).toBe(503);
  });

  it("anything else is 500 'internal error', logged, its text not shown", async () => {
    const { url, logged } = await serveApp(failing(new Error("secret detail")));
    const r = await post(`${url}/tweets`, TWEET);
    expect(r.status).toBe(500);
    expect(await errorOf(r)).toBe("not stored: internal error");
    expect(logged).toHaveLength(1);
    const read = await serveApp({
      timeline: { ...fakeStream().timeline, page: () => Promise.reject(new Error("boom")) },
    });
    const list = await fetch(`${read.url}/tweets`);
    expect(list.status).toBe(500);
    expect(await errorOf(list)).toBe("internal error");
    expect(read.logged.join("\n")).toMatch(/GET \/tweets: internal error: boom/);
  });

  it("a read NATS did not answer in time is 503 with Retry-After", async () => {
    const timeout = Object.assign(new Error("TIMEOUT"), { code: "TIMEOUT" });
    const { url } = await serveApp({
      timeline: { ...fakeStream().timeline, page: () => Promise.reject(timeout) },
    });
    const r = await fetch(`${url}/tweets`);
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(await errorOf(r)).toBe("no answer from NATS in time; retry");
  });
});

describe("serve's app: other routes", () => {
  it("healthz is 200 or 503 as the check says; /metrics text when given; HEAD /events", async () => {
    let ok = true;
    const { url } = await serveApp({
      health: async () => ({ ok, body: { status: ok ? "ok" : "unavailable" } }),
      metrics: async () => "tweetstream_up 1\n",
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    ok = false;
    const down = await fetch(`${url}/healthz`);
    expect([down.status, await down.json()]).toEqual([503, { status: "unavailable" }]);
    const m = await fetch(`${url}/metrics`);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await m.text()).toBe("tweetstream_up 1\n");
    const head = await fetch(`${url}/events`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-type")]).toEqual([
      200,
      "text/event-stream; charset=utf-8",
    ]);
  });

  it("after stopAccepting every request is 503 'shutting down'", async () => {
    const { url, app } = await serveApp();
    app.stopAccepting();
    const r = await fetch(`${url}/tweets`);
    expect([r.status, await errorOf(r)]).toEqual([503, "shutting down"]);
  });
});
