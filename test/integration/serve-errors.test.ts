// serve's failures as a client sees them: a user who may not create consumers (exit 3 at
// start, at once), statuses that say whether a retry can help (full stream 507,
// permission 403: no Retry-After), and a write held through a short JetStream outage
// within the retry budget (503 with Retry-After only once the budget ran out).
// A file of its own: it pauses its nats-server.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, uniqueStream, delay } from "../helpers/cli.js";
import { connect } from "nats";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { pauseProcess } from "../helpers/pause.js";
import { servesAgainst } from "../helpers/serve.js";
import { anyJson, postTweet } from "../helpers/http.js";

const dir = mkdtempSync(join(tmpdir(), "ts-serve-err-"));
let server: TestServer;
const serves = servesAgainst(() => server.url);
const as = (user: string) => server.url.replace("nats://", `nats://${user}:${user}@`);

async function addStream(config: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueStream("SERR");
  const nc = await connect({ servers: server.url, user: "admin", pass: "admin" });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name, subjects: [`${name}.>`], ...config });
  } finally {
    await nc.close();
  }
  return name;
}

const serve = (user: string, stream: string, args: string[] = []) =>
  serves.serve(stream, args, { NATS_URL: as(user) });

beforeAll(async () => {
  const conf = join(dir, "users.conf");
  writeFileSync(
    conf,
    `authorization { users = [
      { user: admin, password: admin }
      { user: nocons, password: nocons, permissions: { publish: { deny: ["$JS.API.CONSUMER.>"] } } }
      { user: nolikes, password: nolikes, permissions: { publish: { deny: ["*.tweet_liked"] } } }
    ] }\n`,
  );
  server = await startServer({ args: ["-c", conf] });
});
afterAll(async () => {
  await serves.stopAll();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("serve and permissions", () => {
  it("exits 3 at once, with one line, for a user who may not create consumers", async () => {
    const stream = await addStream();
    const started = Date.now();
    const r = await runCli(["serve", "--port", "0", "--stream", stream, "--timeout", "2s"], {
      env: { NATS_URL: as("nocons") },
    });
    expect(r.code).toBe(3);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot create a consumer on stream .*permission/i);
  });

  it("a publish the user may not make is 403, a full stream 507: no Retry-After", async () => {
    const stream = await addStream({ max_msgs: 2, discard: "new" });
    const s = await serve("nolikes", stream, ["--timeout", "2s"]);
    const created = await postTweet(s.url);
    expect(created.status).toBe(201);
    const { id } = anyJson(await created.json());
    const liked = await fetch(`${s.url}/tweets/${id}/likes`, { method: "POST" });
    expect(liked.status).toBe(403);
    expect(liked.headers.get("retry-after")).toBeNull();
    expect(anyJson(await liked.json()).error).toMatch(/not stored: permission denied/);

    expect((await postTweet(s.url)).status).toBe(201);
    const full = await postTweet(s.url);
    expect(full.status).toBe(507);
    expect(full.headers.get("retry-after")).toBeNull();
    expect(anyJson(await full.json()).error).toMatch(/not stored: .*full.*max/i);
  });
});

describe("a write during a JetStream outage", () => {
  it("is held within the retry budget, and 503 with Retry-After only once it ran out", async () => {
    const stream = await addStream();
    // --timeout 1s: a budget of 3s
    const s = await serve("admin", stream, ["--timeout", "1s"]);
    /** POSTs while the server is paused for `ms` */
    const postDuringPause = async (message: string, ms: number) => {
      // every server thread stopped before the POST, or one may still store it at once
      await pauseProcess(server.pid);
      const resumed = delay(ms).then(() => process.kill(server.pid, "SIGCONT"));
      const res = await postTweet(s.url, message);
      await resumed;
      return res;
    };
    try {
      const held = await postDuringPause("held", 1500);
      expect(held.status).toBe(201);

      const lost = await postDuringPause("too long", 6000);
      expect(lost.status).toBe(503);
      expect(lost.headers.get("retry-after")).toBe("1");
      const { error } = anyJson(await lost.json());
      expect(error).toMatch(/no JetStream answer within 3s/);
      expect(error).not.toMatch(/create (it|one)|stream add/);
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
  }, 30_000);
});
