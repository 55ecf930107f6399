// serve while NATS is down (issue 18, items 5 and 6): every write answers 503 with
// Retry-After at once, whatever its path (with or without an Idempotency-Key, a tweet or
// a like), and SIGTERM stops it within --grace plus a little, saying what it left undone.
// A file of its own: it kills its nats-server.

import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { pauseProcess } from "../helpers/pause.js";
import { healthStatus, serveNewStream, type ServeProcess } from "../helpers/serve.js";

let server: TestServer;
let serve: ServeProcess | undefined;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await serve?.stop("SIGKILL");
  await server?.stop();
});

const health = healthStatus;

it("NATS down: writes answer 503 + Retry-After in milliseconds; SIGTERM stops within --grace", async () => {
  ({ serve } = await serveNewStream(server.url, "OUTAGE", ["--grace", "2s"]));
  const { url } = serve;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const created = await post("/tweets", { message: "before", author: "ann" });
  expect(created.status).toBe(201);
  const id = ((await created.json()) as { id: string }).id;

  await server.kill();
  await waitFor(async () => (await health(url)) === 503, 15_000, "healthz 503 while NATS is down");

  const writes: Array<[string, () => Promise<Response>]> = [
    ["POST /tweets", () => post("/tweets", { message: "m", author: "a" })],
    [
      "POST /tweets with an Idempotency-Key",
      () => post("/tweets", { message: "m", author: "a" }, { "Idempotency-Key": "k-1" }),
    ],
    ["POST like of a known tweet", () => post(`/tweets/${id}/likes`, { author: "bob" })],
    [
      "POST like with an Idempotency-Key",
      () => post(`/tweets/${id}/likes`, { author: "bob" }, { "Idempotency-Key": "k-2" }),
    ],
    ["POST like of a tweet no one knows", () => post("/tweets/unknown-id/likes", {})],
  ];
  for (const [what, write] of writes) {
    const started = performance.now();
    const res = await write();
    const ms = performance.now() - started;
    expect(res.status, what).toBe(503);
    expect(res.headers.get("retry-after"), what).toBe("1");
    expect(((await res.json()) as { error: string }).error, what).toMatch(/not stored/);
    expect(ms, what).toBeLessThan(500);
  }
  // reads keep serving what the instance holds; what it does not hold is 503 at once
  expect((await fetch(`${url}/tweets/${id}`)).status).toBe(200);
  expect((await fetch(`${url}/tweets?limit=10`)).status).toBe(200);
  const started = performance.now();
  const unknown = await fetch(`${url}/tweets/never-tweeted`);
  expect(unknown.status).toBe(503);
  expect(unknown.headers.get("retry-after")).toBe("1");
  expect(performance.now() - started).toBeLessThan(500);

  const stopping = performance.now();
  const code = await serve.stop("SIGTERM", 30_000);
  const stopMs = performance.now() - stopping;
  expect(code, serve.stderr()).toBe(0);
  // --grace 2s, plus a second or two for what cannot wait for NATS
  expect(stopMs, serve.stderr()).toBeLessThan(4_500);
  expect(serve.stderr()).toMatch(/consumers? .*left for the server to remove/);
}, 90_000);

it("NATS stalled (paused): SIGTERM still stops within --grace plus the 2 s stop budget", async () => {
  const paused = await startServer();
  let stalled: ServeProcess | undefined;
  try {
    ({ serve: stalled } = await serveNewStream(paused.url, "STALLED", ["--grace", "2s"]));
    // every server thread stopped before the SIGTERM, or one answers serve's deletes
    await pauseProcess(paused.pid);
    const stopping = performance.now();
    const code = await stalled.stop("SIGTERM", 30_000);
    const stopMs = performance.now() - stopping;
    expect(code, stalled.stderr()).toBe(0);
    expect(stopMs, stalled.stderr()).toBeLessThan(5_000);
    expect(stalled.stderr()).toMatch(/NATS did not answer in time: .*left for the server/);
  } finally {
    process.kill(paused.pid, "SIGCONT");
    await stalled?.stop("SIGKILL");
    await paused.stop();
  }
}, 60_000);
