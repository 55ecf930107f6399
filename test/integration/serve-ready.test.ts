// serve's start on a long stream it has not seen: the port answers at once (/healthz 200,
// the page), /readyz answers 503 with the build's progress until reads are exact, the newest
// page is exact from the stream's tail meanwhile, older pages and writes answer 503 +
// Retry-After (nothing published), then /readyz 200 and the counts are the stream's.

import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { withConnection } from "../helpers/fixtures.js";
import { killAll, startCli } from "../helpers/cli-process.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

const EVENTS = 100_000;
let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "serve-ready-"));
});
afterAll(async () => {
  killAll();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const lastSeq = (stream: string) =>
  withConnection(server.url, async (nc) => {
    const jsm = await nc.jetstreamManager();
    return (await jsm.streams.info(stream)).state.last_seq;
  });

/** The newest `n` tweets of `fill`'s stream as [id, likes]: t<i> for i ≢ 4 (mod 5), t<i> liked once when i ≡ 3. */
function newestTweets(n: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = EVENTS - 1; out.length < n; i--)
    if (i % 5 !== 4) out.push([`t${i}`, i % 5 === 3 ? 1 : 0]);
  return out;
}

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
  it("answers at once: /healthz 200, /readyz 503 with progress, the newest page exact, 503 + Retry-After for the rest, then ready", async () => {
    const stream = uniqueStream("READY");
    expect((await runCli(["stream", "add", stream], { env: { NATS_URL: server.url } })).code).toBe(
      0,
    );
    const truth = await fill(stream);

    const child = startCli(["serve", "--port", "0", "--stream", stream], { url: server.url });
    const out = child.stdout;
    const err = child.stderr;

    const spawned = performance.now();
    const url = await waitFor(
      () => /answering on (http:\/\/\S+);/.exec(err())?.[1],
      30_000,
      `the port to open (stderr: ${err()})`,
    );
    const portMs = Math.round(performance.now() - spawned);
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
    expect(out()).not.toContain("Listening on");
    // the page itself loads at once
    expect((await fetch(`${url}/`)).status).toBe(200);

    // the newest page is exact before the view is built: read from the stream's tail
    const pageStarted = performance.now();
    const newest = await fetch(`${url}/tweets?limit=50`);
    const pageMs = Math.round(performance.now() - pageStarted);
    expect(newest.status).toBe(200);
    const early = (await newest.json()) as {
      tweets: Array<{ id: string; seq: number; likes: number }>;
      total: number;
      last_seq: number;
      next_before: number | null;
    };
    // nothing was stored during the test: exact as of the stream's end
    expect(early.last_seq).toBe(EVENTS);
    expect(early.total).toBe(truth.tweets);
    expect(early.tweets.map((t) => [t.id, t.likes])).toEqual(newestTweets(50));
    expect(early.next_before).toBe(early.tweets[49]!.seq);
    // an older page, a longer one and writes say "not yet" with Retry-After
    const older = await fetch(`${url}/tweets?limit=50&before=${early.next_before}`);
    const longer = await fetch(`${url}/tweets?limit=51`);
    const write = await fetch(`${url}/tweets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: "too early", author: "z" }),
    });
    // all of that while the view was still being built (it takes seconds at EVENTS)
    const during = await fetch(`${url}/readyz`);
    expect(during.status).toBe(503);
    console.log(
      `serve-ready: port open after ${portMs} ms, the newest page in ${pageMs} ms, during the build (${JSON.stringify(await during.json())})`,
    );
    for (const res of [older, longer, write]) {
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(((await res.json()) as { error: string }).error).toMatch(/^not ready: /);
    }
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
    await waitFor(() => out().includes("Listening on"), 10_000, "the listening line");
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

    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  }, 180_000);
});
