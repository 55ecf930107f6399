// serve for operators: --log-format json and GET /metrics, against a real nats-server.

import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { servesAgainst, type ServeProcess } from "../helpers/serve.js";

let server: TestServer;
const serves = servesAgainst(() => server.url);
const serve = serves.serve;
const { newStream: addStream } = cliAgainst(() => server.url);
const newStream = () => addStream([], "OPS");

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await serves.stopAll();
  await server?.stop();
});

describe("serve --log-format json", () => {
  const lines = (s: ServeProcess) =>
    s
      .stderr()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it("writes access lines and warnings as one JSON object a line on stderr", async () => {
    const stream = await newStream();
    const s = await serve(stream, ["--access-log", "--log-format", "json", "--host", "0.0.0.0"]);
    const url = s.url.replace("0.0.0.0", "127.0.0.1");
    await (await fetch(`${url}/tweets?limit=1`)).text();
    await (await fetch(`${url}/nowhere/%1b%5b2J`)).text();
    await waitFor(() => lines(s).length >= 3, 10_000, "a warning and two access lines");
    const warning = lines(s).find((o) => o.level === "warn");
    expect(String(warning?.message)).toMatch(/anyone who can reach port/);
    expect(Date.parse(String(warning!.time))).not.toBeNaN();
    const access = lines(s).filter((o) => o.msg === "request");
    expect(access[0]).toMatchObject({
      level: "info",
      method: "GET",
      path: "/tweets?limit=1",
      status: 200,
    });
    expect(typeof access[0]!.ms).toBe("number");
    expect(Date.parse(String(access[0]!.time))).not.toBeNaN();
    expect(access[1]).toMatchObject({ status: 404, path: "/nowhere/%1b%5b2J" });
    // stdout keeps only the listening line
    expect(s.stdout().trim().split("\n")).toHaveLength(1);
  });

  it("never logs the write token, even when a client puts it in a URL", async () => {
    const stream = await newStream();
    const t = await serve(stream, ["--access-log", "--log-format=json"], {
      TWEETSTREAM_SERVE_TOKEN: "tok-never-logged",
    });
    await (await fetch(`${t.url}/tweets?q=tok-never-logged`)).text();
    await waitFor(() => lines(t).length >= 1, 10_000, "an access line");
    expect(lines(t)[0]).toMatchObject({ path: "/tweets?q=***", status: 200 });
    expect(t.stderr()).not.toContain("tok-never-logged");
  });
});

describe("serve GET /metrics", () => {
  const scrape = async (url: string) => {
    const r = await fetch(`${url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const values = new Map<string, number>();
    for (const line of (await r.text()).split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      const i = line.lastIndexOf(" ");
      values.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
    return values;
  };
  const requests = (route: string, status: number) =>
    `tweetstream_http_requests_total{route="${route}",status="${status}"}`;

  it("moves with requests, and shows the connection, the view and SSE clients", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    const before = await scrape(s.url);
    expect(before.get("tweetstream_nats_connected")).toBe(1);
    expect(before.get("tweetstream_view_lag_events")).toBe(0);
    expect(before.get("tweetstream_view_build_progress")).toBe(1);
    expect(before.get(requests("createTweet", 201))).toBeUndefined();

    for (const m of ["one", "two"]) {
      const r = await fetch(`${s.url}/tweets`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: m, author: "ops" }),
      });
      expect(r.status).toBe(201);
    }
    await (await fetch(`${s.url}/tweets?limit=1`)).text();
    const events = new AbortController();
    const sse = await fetch(`${s.url}/events`, { signal: events.signal });
    expect(sse.status).toBe(200);
    try {
      await waitFor(
        async () => (await scrape(s.url)).get("tweetstream_sse_clients") === 1,
        10_000,
        "one SSE client counted",
      );
      const after = await scrape(s.url);
      expect(after.get(requests("createTweet", 201))).toBe(2);
      expect(after.get(requests("listTweets", 200))).toBe(1);
      // the scrape before counts itself once answered
      expect(after.get(requests("metrics", 200))).toBeGreaterThanOrEqual(1);
      expect(
        after.get('tweetstream_http_request_duration_seconds_count{route="createTweet"}'),
      ).toBe(2);
      expect(after.get("tweetstream_stream_last_seq")).toBe(2);
      expect(after.get("tweetstream_view_applied_seq")).toBe(2);
      expect(after.get("tweetstream_view_lag_seconds")).toBe(0);
    } finally {
      events.abort();
    }
  });

  it("is guarded like every route: another Host gets 421", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    const { port } = new URL(s.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, path: "/metrics", headers: { Host: "evil.example" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(421);
  });
});
