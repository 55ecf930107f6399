import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { anyJson, JSON_TYPE, postJson } from "../helpers/http.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import {
  natsClient,
  readStream,
  servesAgainst,
  withConcurrency,
  type ServeProcess,
} from "../helpers/serve.js";

let server: TestServer;
const { ts, newStream: addStream } = cliAgainst(() => server.url);
const serves = servesAgainst(() => server.url);
const serve = serves.serve;
const newStream = () => addStream([], "SRV");

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await serves.stopAll();
  await server?.stop();
});

describe("serve start-up", () => {
  it("refuses a missing stream with exit 4 and the command that creates it", async () => {
    const r = await ts(["serve", "--port", "0", "--stream", uniqueStream("NONE")]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/not found; create it with: tweetstream stream add/);
  });

  it("rejects bad flags with exit 2", async () => {
    for (const args of [
      ["--port", "http"],
      ["--port", "70000"],
      ["--max-body", "lots"],
      ["--request-timeout", "soon"],
    ]) {
      const r = await ts(["serve", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("exits 3 when NATS is unreachable, 5 when the port is taken", async () => {
    const down = await runCli(["serve", "--port", "0", "-s", "nats://127.0.0.1:1"]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot connect/);
    const stream = await newStream();
    const s = await serve(stream);
    const port = new URL(s.url).port;
    const taken = await ts(["serve", "--stream", stream, "--port", port]);
    expect(taken.code).toBe(5);
    expect(taken.stderr).toMatch(/address already in use/);
  });

  it("prints where it listens as one JSON line with --json, and nothing else on stdout", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    const line = JSON.parse(s.stdout().split("\n")[0]!);
    expect(line).toMatchObject({ status: "listening", host: "127.0.0.1", stream, tweets: 0 });
    expect(line.url).toBe(`http://127.0.0.1:${line.port}`);
    expect(await s.stop()).toBe(0);
    expect(s.stdout().trim().split("\n")).toHaveLength(1);
  });
});

describe("serve routes", () => {
  let stream: string;
  let s: ServeProcess;
  beforeAll(async () => {
    stream = await newStream();
    s = await serve(stream);
  });

  it("POST /tweets stores a tweet_created event and answers 201 after the ack", async () => {
    const r = await postJson(`${s.url}/tweets`, { message: "hello world", author: "ann" });
    expect(r.status).toBe(201);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    const body = await r.json().then(anyJson);
    expect(Object.keys(body)).toEqual(["id", "message", "author", "date", "seq"]);
    expect(body).toMatchObject({ message: "hello world", author: "ann" });
    expect(r.headers.get("location")).toBe(`/tweets/${body.id}`);
    const stored = (await readStream(server.url, stream)).find((m) => m.seq === body.seq)!;
    expect(stored.subject).toBe(`${stream}.tweet_created`);
    expect(stored.msgId).toBe(body.id);
    expect(JSON.parse(stored.data)).toEqual({
      messageType: "tweet_created",
      id: body.id,
      message: "hello world",
      date: body.date,
      author: "ann",
    });
  });

  it("GET /tweets is newest first with like counts; limit and before page through it", async () => {
    const ids: string[] = [];
    for (const m of ["one", "two", "three"]) {
      ids.push(
        (
          await (
            await postJson(`${s.url}/tweets`, { message: m, author: "bob" })
          )
            .json()
            .then(anyJson)
        ).id,
      );
    }
    for (let i = 0; i < 2; i++) {
      const like = await postJson(`${s.url}/tweets/${ids[1]}/likes`, { author: `fan${i}` });
      expect(like.status).toBe(202);
      expect(await like.json().then(anyJson)).toMatchObject({
        id: ids[1],
        author: `fan${i}`,
        likes: i + 1,
      });
    }
    const page = await (await fetch(`${s.url}/tweets?limit=2`)).json().then(anyJson);
    expect(page.tweets.map((t: { message: string }) => t.message)).toEqual(["three", "two"]);
    expect(page.tweets[1]).toMatchObject({ id: ids[1], likes: 2 });
    expect(page.total).toBeGreaterThanOrEqual(3);
    const next = await (
      await fetch(`${s.url}/tweets?limit=1&before=${page.next_before}`)
    )
      .json()
      .then(anyJson);
    expect(next.tweets[0].message).toBe("one");
    const one = await (await fetch(`${s.url}/tweets/${ids[1]}`)).json().then(anyJson);
    expect(one.likes).toBe(2);
    expect(one.liked_by.map((l: { author: string }) => l.author)).toEqual(["fan0", "fan1"]);
  });

  it("a like without a body is anonymous; liking an unknown tweet is 404 and stores nothing", async () => {
    const { id } = await (
      await postJson(`${s.url}/tweets`, { message: "m", author: "a" })
    )
      .json()
      .then(anyJson);
    const anon = await fetch(`${s.url}/tweets/${id}/likes`, { method: "POST" });
    expect(anon.status).toBe(202);
    expect((await anon.json().then(anyJson)).author).toBe("anonymous");
    const before = (await readStream(server.url, stream)).length;
    const unknown = await fetch(`${s.url}/tweets/no-such-tweet/likes`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json().then(anyJson)).toEqual({ error: "tweet no-such-tweet not found" });
    expect((await readStream(server.url, stream)).length).toBe(before);
    const missing = await fetch(`${s.url}/tweets/no-such-tweet`);
    expect(missing.status).toBe(404);
  });

  it("Idempotency-Key: a retry answers the same tweet and stores nothing new; another body is 422", async () => {
    const key = `key-${Math.random()}`;
    const first = await postJson(
      `${s.url}/tweets`,
      { message: "once", author: "c" },
      { "Idempotency-Key": key },
    );
    expect(first.status).toBe(201);
    const a = await first.json().then(anyJson);
    const again = await Promise.all(
      [1, 2, 3].map(() =>
        postJson(`${s.url}/tweets`, { message: "once", author: "c" }, { "Idempotency-Key": key }),
      ),
    );
    for (const r of again) {
      expect(r.status).toBe(201);
      expect(r.headers.get("idempotent-replayed")).toBe("true");
      expect(await r.json().then(anyJson)).toEqual(a);
    }
    const other = await postJson(
      `${s.url}/tweets`,
      { message: "twice", author: "c" },
      { "Idempotency-Key": key },
    );
    expect(other.status).toBe(422);
    const stored = (await readStream(server.url, stream)).filter((m) => m.msgId === a.id);
    expect(stored).toHaveLength(1);
    const bad = await postJson(
      `${s.url}/tweets`,
      { message: "x", author: "c" },
      { "Idempotency-Key": "has space" },
    );
    expect(bad.status).toBe(400);
  });

  it("Idempotency-Key on a like: a retry stores it once, another key is another like, another body 422", async () => {
    const { id } = await (
      await postJson(`${s.url}/tweets`, { message: "liked", author: "a" })
    )
      .json()
      .then(anyJson);
    const key = `like-${Math.random()}`;
    const like = (author: string, k = key) =>
      postJson(`${s.url}/tweets/${id}/likes`, { author }, { "Idempotency-Key": k });
    const likesStored = async () =>
      (await readStream(server.url, stream)).filter(
        (m) => m.subject.endsWith(".tweet_liked") && JSON.parse(m.data).id === id,
      );
    const first = await like("fan");
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const a = await first.json().then(anyJson);
    const again = await like("fan");
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json().then(anyJson)).toEqual({ ...a, likes: 1 });
    expect(await likesStored()).toHaveLength(1);
    const other = await like("fan", `${key}-other`);
    expect(other.status).toBe(202);
    expect(await other.json().then(anyJson)).toMatchObject({ id, author: "fan", likes: 2 });
    expect(await likesStored()).toHaveLength(2);
    const changed = await like("someone else");
    expect(changed.status).toBe(422);
    expect(await likesStored()).toHaveLength(2);
    const one = await (await fetch(`${s.url}/tweets/${id}`)).json().then(anyJson);
    expect(one.likes).toBe(2);
  });

  it("Idempotency-Key: concurrent first requests store one tweet (the others 201-replay or 409)", async () => {
    const key = `race-${Math.random()}`;
    const rs = await Promise.all(
      Array.from({ length: 6 }, () =>
        postJson(`${s.url}/tweets`, { message: "race", author: "r" }, { "Idempotency-Key": key }),
      ),
    );
    const statuses = rs.map((r) => r.status);
    for (const st of statuses) expect([201, 409]).toContain(st);
    const fresh = rs.filter((r) => r.status === 201 && !r.headers.get("idempotent-replayed"));
    expect(fresh).toHaveLength(1);
    const { id } = await fresh[0]!.json().then(anyJson);
    expect((await readStream(server.url, stream)).filter((m) => m.msgId === id)).toHaveLength(1);
  });

  // every case, and a publish failure's status, is in test/unit/serve-app.test.ts (no server):
  // here a few, end to end through the built CLI
  it("answers bad requests with a JSON error and the documented status, storing nothing", async () => {
    const before = (await readStream(server.url, stream)).length;
    const cases: Array<[string, RequestInit, number, RegExp]> = [
      ["/tweets", { method: "POST", headers: JSON_TYPE, body: "{not json" }, 400, /not valid JSON/],
      [
        "/tweets",
        {
          method: "POST",
          headers: JSON_TYPE,
          body: JSON.stringify({ message: "m".repeat(20_000), author: "a" }),
        },
        413,
        /larger than 16384 bytes/,
      ],
      ["/tweets", { method: "POST", body: '{"message":"m","author":"a"}' }, 415, /content type/],
      ["/tweets?limit=0", {}, 400, /limit must be/],
      ["/nowhere", {}, 404, /no route/],
      ["/tweets", { method: "DELETE" }, 405, /not allowed/],
    ];
    for (const [path, init, status, message] of cases) {
      const r = await fetch(`${s.url}${path}`, init);
      expect(r.status, `${init.method ?? "GET"} ${path}`).toBe(status);
      const body = await r.json().then(anyJson);
      expect(body.error, path).toMatch(message);
    }
    const r = await fetch(`${s.url}/tweets`, { method: "PUT" });
    expect(r.headers.get("allow")).toBe("GET, POST, HEAD");
    expect(await readStream(server.url, stream)).toHaveLength(before);
  });

  it("a client that does not finish its request in --request-timeout gets 408", async () => {
    const slow = await serve(stream, ["--request-timeout", "1s"]);
    const { port } = new URL(slow.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(
          `POST /tweets HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{`,
        );
      });
      let data = "";
      socket.setEncoding("utf8").on("data", (d: string) => (data += d));
      socket.on("close", () => resolve(data));
      socket.on("error", reject);
      socket.setTimeout(15_000, () => socket.destroy(new Error("no answer within 15s")));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("--access-log writes one line per request on stderr, nothing on stdout", async () => {
    const logged = await serve(stream, ["--access-log"]);
    await fetch(`${logged.url}/tweets?limit=1`);
    await fetch(`${logged.url}/nowhere`);
    const lines = () => logged.stderr().trim().split("\n").filter(Boolean);
    await waitFor(() => lines().length >= 2, 10_000, "two access log lines");
    expect(lines()[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z GET \/tweets\?limit=1 200 \d+\.\dms$/);
    expect(lines()[1]).toMatch(/ GET \/nowhere 404 /);
    expect(logged.stdout().trim().split("\n")).toHaveLength(1);
  });

  it("GET /healthz is 200 with the projection's figures", async () => {
    const r = await fetch(`${s.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json().then(anyJson)).toMatchObject({ status: "ok", nats: "connected", stream });
  });
});

describe("serve projection and events", () => {
  it("builds the timeline from the stream on start, including other clients' events, and follows it", async () => {
    const stream = await newStream();
    const nc = await natsClient(server.url);
    const js = nc.jetstream();
    const te = new TextEncoder();
    const tweet = (id: string, message: string) =>
      te.encode(
        JSON.stringify({
          messageType: "tweet_created",
          id,
          message,
          date: new Date().toISOString(),
          author: "cli",
        }),
      );
    const like = (id: string, author: string) =>
      te.encode(
        JSON.stringify({
          messageType: "tweet_liked",
          id,
          message: "",
          date: new Date().toISOString(),
          author,
        }),
      );
    await js.publish(`${stream}.tweet_created`, tweet("t1", "before start"));
    await js.publish(`${stream}.tweet_liked`, like("t1", "x"));
    await js.publish(`${stream}.tweet_created`, te.encode("not an event"));
    const s = await serve(stream);
    const timeline = await (await fetch(`${s.url}/tweets`)).json().then(anyJson);
    expect(timeline.tweets).toHaveLength(1);
    expect(timeline.tweets[0]).toMatchObject({
      id: "t1",
      message: "before start",
      likes: 1,
      seq: 1,
    });

    // SSE: connect, then events from another client arrive in order
    const ac = new AbortController();
    const events = await fetch(`${s.url}/events`, { signal: ac.signal });
    expect(events.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = events.body!.getReader();
    let text = "";
    await js.publish(`${stream}.tweet_created`, tweet("t2", "after start"));
    await js.publish(`${stream}.tweet_liked`, like("t2", "y"));
    await waitFor(
      async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return text.includes("id: 5\n");
      },
      10_000,
      "SSE events",
    );
    expect(text).toMatch(/id: 4\nevent: tweet_created\ndata: \{[^\n]*"id":"t2"[^\n]*"seq":4\}/);
    expect(text).toMatch(/id: 5\nevent: tweet_liked\ndata: /);
    ac.abort();
    const t2 = await waitFor(async () => {
      const r = await fetch(`${s.url}/tweets/t2`);
      return r.status === 200 ? r.json().then(anyJson) : null;
    });
    expect(t2.likes).toBe(1);

    // Last-Event-ID replays what a client missed
    const resumed = await fetch(`${s.url}/events`, { headers: { "Last-Event-ID": "2" } });
    const r2 = resumed.body!.getReader();
    let backlog = "";
    await waitFor(
      async () => {
        const { value } = await r2.read();
        backlog += new TextDecoder().decode(value);
        return backlog.includes("id: 5\n");
      },
      10_000,
      "backlog",
    );
    expect(backlog).not.toMatch(/id: [123]\n/);
    expect(backlog).toMatch(/id: 4\n[\s\S]*id: 5\n/);
    await r2.cancel();

    // a key used before the restart is still known after it (from the stream, whatever the window)
    const keyed = await postJson(
      `${s.url}/tweets`,
      { message: "keyed", author: "k" },
      { "Idempotency-Key": "restart-key" },
    ).then((r) => r.json().then(anyJson));
    // after a restart the timeline is the same: it is the stream's
    expect(await s.stop()).toBe(0);
    const again = await serve(stream);
    const after = await (await fetch(`${again.url}/tweets`)).json().then(anyJson);
    expect(after.tweets.map((t: { id: string; likes: number }) => [t.id, t.likes])).toEqual([
      [keyed.id, 0],
      ["t2", 1],
      ["t1", 1],
    ]);
    const retried = await postJson(
      `${again.url}/tweets`,
      { message: "keyed", author: "k" },
      { "Idempotency-Key": "restart-key" },
    );
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(await retried.json().then(anyJson)).toEqual(keyed);
    expect((await readStream(server.url, stream)).filter((m) => m.msgId === keyed.id)).toHaveLength(
      1,
    );
    await nc.close();
  });

  it("healthz is 503 when the stream is gone, and publishing answers 500 (retrying cannot help)", async () => {
    const stream = await newStream();
    const s = await serve(stream, ["--timeout", "2s"]);
    expect((await ts(["stream", "rm", stream, "--force"])).code).toBe(0);
    const h = await fetch(`${s.url}/healthz`);
    expect(h.status).toBe(503);
    expect(await h.json().then(anyJson)).toMatchObject({
      status: "unavailable",
      error: expect.stringMatching(/not found/),
    });
    const p = await postJson(`${s.url}/tweets`, { message: "m", author: "a" });
    expect(p.status).toBe(500);
    expect(p.headers.get("retry-after")).toBeNull();
    expect((await p.json().then(anyJson)).error).toMatch(/not stored: no stream stores subject/);
  });
});

describe("serve shutdown", () => {
  it("on SIGTERM finishes an in-flight request, refuses new ones, and exits 0", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    // a request whose body is still arriving when the signal comes
    const payload = JSON.stringify({ message: "last words", author: "zed" }).padEnd(40, " ");
    let finishBody!: () => void;
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${s.url}/tweets`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": "40" },
      });
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("error", reject);
      req.write(payload.slice(0, 10));
      finishBody = () => req.end(payload.slice(10));
    });
    const events = await fetch(`${s.url}/events`);
    await waitFor(() => s.stdout().length > 0 && true, 5000, "serve ready");
    const exit = s.stop("SIGTERM");
    // new requests are refused while the old one is still in flight
    await waitFor(
      () =>
        fetch(`${s.url}/healthz`).then(
          (r) => r.status === 503,
          () => true,
        ),
      10_000,
      "new requests refused",
    );
    finishBody();
    const r = await response;
    expect(r.status).toBe(201);
    expect(await exit).toBe(0);
    // the SSE stream was ended rather than keeping the process alive
    await events.body!.cancel();
    const stored = await readStream(server.url, stream);
    expect(stored.map((m) => JSON.parse(m.data).message)).toEqual(["last words"]);
  });
});

describe("serve under load", () => {
  it("a few thousand POSTs at bounded concurrency: every 201 is in the stream exactly once", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    const N = 2000;
    const results = await withConcurrency(N, 16, async (i) => {
      const r = await postJson(`${s.url}/tweets`, { message: `load ${i}`, author: `u${i % 7}` });
      return { status: r.status, body: await r.json().then(anyJson) };
    });
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(N);
    const stored = await readStream(server.url, stream);
    expect(stored).toHaveLength(N);
    const byId = new Map<string, number>();
    for (const m of stored) {
      const id = JSON.parse(m.data).id as string;
      byId.set(id, (byId.get(id) ?? 0) + 1);
    }
    for (const { body } of created) {
      expect(byId.get(body.id)).toBe(1);
      expect(stored[body.seq - 1]!.msgId).toBe(body.id);
    }
    const timeline = await (await fetch(`${s.url}/tweets?limit=1`)).json().then(anyJson);
    expect(timeline.total).toBe(N);
  });
});
