// NATS killed and restarted under load: serve never answers 2xx for a tweet that is
// not stored, reports itself unhealthy while NATS is away, and recovers on its own.
// A file of its own: it kills its nats-server.

import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import {
  healthStatus,
  natsClient,
  readStream,
  serveNewStream,
  type ServeProcess,
} from "../helpers/serve.js";
import { anyJson, postTweet } from "../helpers/http.js";

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

it("NATS killed and restarted during load: no 2xx for a tweet that is not stored", async () => {
  const started = await serveNewStream(server.url, "FAIL", ["--timeout", "2s"]);
  const stream = started.stream;
  serve = started.serve;
  const url = serve.url;

  const results: Array<{ status: number; id?: string; seq?: number; error?: string }> = [];
  let stop = false;
  const ok = () => results.filter((r) => r.status === 201).length;
  const failed = () => results.filter((r) => r.status !== 201).length;
  const worker = async (w: number) => {
    // bounded: stops on the flag, and after 4000 requests whatever happens
    for (let i = 0; !stop && results.length < 4000; i++) {
      const res = await postTweet(url, `w${w} #${i}`, `w${w}`);
      const body = await res.json().then(anyJson);
      results.push({ status: res.status, id: body.id, seq: body.seq, error: body.error });
    }
  };
  const load = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));

  try {
    await waitFor(() => ok() >= 150, 20_000, "150 tweets before the kill");
    await server.kill();
    await waitFor(
      async () => (await health(url)) === 503,
      15_000,
      "healthz 503 while NATS is down",
    );
    await waitFor(() => failed() >= 20, 15_000, "requests failing while NATS is down");
    const beforeRestart = ok();
    await server.restart();
    await waitFor(async () => (await health(url)) === 200, 20_000, "healthz 200 after the restart");
    await waitFor(() => ok() >= beforeRestart + 150, 30_000, "tweets after the restart");
  } catch (err) {
    // what serve said is the diagnosis (a reader that did not resume makes every POST wait)
    throw new Error(`${String(err)}; ${ok()} created; serve's stderr:\n${serve.stderr()}`);
  } finally {
    stop = true;
    await load;
  }

  const statuses = new Set(results.map((r) => r.status));
  for (const s of statuses) expect([201, 503]).toContain(s);
  for (const r of results.filter((x) => x.status === 503)) expect(r.error).toMatch(/not stored/);

  const stored = await readStream(server.url, stream);
  const count = new Map<string, number>();
  for (const m of stored) {
    const id = JSON.parse(m.data).id as string;
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  const created = results.filter((r) => r.status === 201);
  for (const r of created) {
    expect(count.get(r.id!), `201 for ${r.id} but not stored once`).toBe(1);
    expect(JSON.parse(stored.find((m) => m.seq === r.seq)!.data).id).toBe(r.id);
  }
  // a 503 may still have been stored (the ack was lost), never the other way round
  expect(stored.length).toBeGreaterThanOrEqual(created.length);

  // the projection follows the stream again: another client's tweet shows up
  const nc = await natsClient(server.url);
  await nc.jetstream().publish(
    `${stream}.tweet_created`,
    new TextEncoder().encode(
      JSON.stringify({
        messageType: "tweet_created",
        id: "after-restart",
        message: "still following",
        date: new Date().toISOString(),
        author: "other",
      }),
    ),
  );
  await nc.close();
  await waitFor(
    async () => (await fetch(`${url}/tweets/after-restart`)).status === 200,
    20_000,
    "the projection to follow the restarted server",
  );
  expect(await serve.stop()).toBe(0);
  // the outage is told once each way, not once per refused request
  expect(serve.stderr()).toMatch(/lost the connection to NATS/);
  expect(serve.stderr()).toMatch(/reconnected to NATS/);
  expect(serve.stderr()).not.toMatch(/POST \/tweets/);
}, 120_000);
