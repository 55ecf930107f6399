// serve's start on a long stream it has not seen: the port answers at once (/healthz 200,
// the page), /readyz answers 503 with the build's progress until reads are exact, reads and
// writes answer 503 + Retry-After meanwhile (nothing published), then /readyz 200 and the
// counts are the stream's.

import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cleanEnv, runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

const EVENTS = 100_000;
let server: TestServer;
let dir: string;
const pids: number[] = [];

beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "serve-ready-"));
});
afterAll(async () => {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const lastSeq = (stream: string) =>
  withConnection(server.url, async (nc) => {
    const jsm = await nc.jetstreamManager();
    return (await jsm.streams.info(stream)).state.last_seq;
  });

/** `EVENTS` events, 4 tweets to 1 like; the number of tweets and likes. */
async function fill(stream: string): Promise<{ tweets: number; likes: number }> {
  const lines: string[] = [];
  let tweets = 0;
  for (let i = 0; i < EVENTS; i++) {
    const date = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    if (i % 5 === 4) {
      const like = {
        messageType: "tweet_liked",
        id: `t${i - 1}`,
        message: "",
        date,
        author: "fan",
      };
      lines.push(JSON.stringify(like));
    } else {
      tweets++;
      lines.push(
        JSON.stringify({
          messageType: "tweet_created",
          id: `t${i}`,
          message: `m${i}`,
          date,
          author: "a",
        }),
      );
    }
  }
  const file = join(dir, `${stream}.ndjson`);
  writeFileSync(file, lines.join("\n") + "\n");
  const env = { NATS_URL: server.url };
  const published = await runCli(["publish", "--file", file, "--stream", stream, "--quiet"], {
    env,
  });
  expect(published.code, published.stderr).toBe(0);
  expect(await lastSeq(stream)).toBe(EVENTS);
  return { tweets, likes: EVENTS - tweets };
}

describe("serve's first start on a long stream", () => {
  it("answers at once: /healthz 200, /readyz 503 with progress, 503 + Retry-After for reads and writes, then ready", async () => {
    const stream = uniqueStream("READY");
    expect((await runCli(["stream", "add", stream], { env: { NATS_URL: server.url } })).code).toBe(
      0,
    );
    const truth = await fill(stream);

    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--stream", stream], {
      env: cleanEnv({ NATS_URL: server.url }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    pids.push(child.pid!);
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));

    const url = await waitFor(
      () => /answering on (http:\/\/\S+);/.exec(err)?.[1],
      30_000,
      `the port to open (stderr: ${err})`,
    );
    // the port answers before the view is up to date: the listening line is not out yet
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    const progress = (await ready.json()) as {
      ready: boolean;
      reason: string;
      view: { seq: number; of: number };
    };
    expect(ready.status).toBe(503);
    expect(progress).toMatchObject({ ready: false, view: { of: EVENTS } });
    expect(progress.reason).toMatch(/building the view|loading/);
    expect(progress.view.seq).toBeGreaterThanOrEqual(0);
    expect(progress.view.seq).toBeLessThanOrEqual(EVENTS);
    expect(out).not.toContain("Listening on");
    // the page itself loads at once
    expect((await fetch(`${url}/`)).status).toBe(200);

    // reads and writes say "not yet" with Retry-After; a write publishes nothing
    const read = await fetch(`${url}/tweets?limit=5`);
    const write = await fetch(`${url}/tweets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: "too early", author: "z" }),
    });
    // answered while building: one 503 from /readyz came just before, and the build
    // of EVENTS events takes seconds
    expect(read.status).toBe(503);
    expect(read.headers.get("retry-after")).toBe("1");
    expect(((await read.json()) as { error: string }).error).toMatch(/^not ready: /);
    expect(write.status).toBe(503);
    expect(write.headers.get("retry-after")).toBe("1");
    expect(await lastSeq(stream)).toBe(EVENTS);

    // progress never goes back within a phase, then ready
    let seen = { reason: progress.reason, seq: progress.view.seq };
    await waitFor(
      async () => {
        const res = await fetch(`${url}/readyz`);
        const body = (await res.json()) as {
          ready: boolean;
          reason?: string;
          view?: { seq: number };
        };
        if (body.ready) return res.status === 200;
        expect(res.status).toBe(503);
        const now = { reason: body.reason!, seq: body.view!.seq };
        if (now.reason === seen.reason && now.seq < seen.seq) {
          throw new Error(
            `progress went back: ${JSON.stringify(seen)} then ${JSON.stringify(now)}`,
          );
        }
        seen = now;
        return false;
      },
      110_000,
      "the view to be built",
    );
    await waitFor(() => out.includes("Listening on"), 10_000, "the listening line");
    const page = (await (await fetch(`${url}/tweets?limit=3`)).json()) as {
      total: number;
      tweets: Array<{ id: string; likes: number }>;
    };
    expect(page.total).toBe(truth.tweets);
    // the newest tweet t99998 was liked by the last event
    expect(page.tweets[0]).toMatchObject({ id: `t${EVENTS - 2}`, likes: 1 });
    const stored = await fetch(`${url}/tweets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: "now", author: "z" }),
    });
    expect(stored.status).toBe(201);

    process.kill(child.pid!, "SIGTERM");
    expect(await exited).toBe(0);
  }, 180_000);
});
