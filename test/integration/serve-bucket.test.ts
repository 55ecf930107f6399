// serve's view bucket as untrusted input: damage written straight with nats.js (garbage in
// every key, a foreign lease that is never renewed, the bucket purged or removed), while
// serve runs and before it starts, checked against a recount of the stream itself. Also
// the account's storage full: a start exits 5 naming the limit, a running serve answers
// writes 507 and /healthz says so. A file of its own: it fills its server's account.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { publishEvents, publishRaw, withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { recountStream, servesAgainst } from "../helpers/serve.js";
import { anyJson, getJson } from "../helpers/http.js";

let server: TestServer;
const serves = servesAgainst(() => server.url);
const { newStream: addStream } = cliAgainst(() => server.url);
const bucketOf = (stream: string) => `tweetstream_view_${stream}`;

const serve = (stream: string, url = server.url) =>
  serves.serve(stream, ["--timeout", "2s"], { NATS_URL: url });

/** A stream of 10 000 events: 5 000 tweets, one like each, and 20 more likes of the oldest. */
async function newStream(): Promise<string> {
  const name = await addStream([], "BKT");
  await publishEvents(server.url, name, 9_980);
  await moreLikes(name, "tweet-0", 20, 0);
  return name;
}

async function moreLikes(stream: string, id: string, n: number, from: number): Promise<void> {
  await publishRaw(
    server.url,
    Array.from({ length: n }, (_, k) => ({
      subject: `${stream}.tweet_liked`,
      data: JSON.stringify({
        messageType: "tweet_liked",
        id,
        message: "",
        date: new Date(Date.UTC(2026, 1, 1) + (from + k) * 1000).toISOString(),
        author: `fan${from + k}`,
      }),
    })),
  );
}

/** Tweets and like counts by id, counted from the stream itself. */
const recount = (stream: string) => recountStream(server.url, stream);

/** What serve says differs from the recount (empty: nothing), for the oldest, a middle and the newest tweets. */
async function mismatches(url: string, stream: string): Promise<string[]> {
  const truth = await recount(stream);
  const wrong: string[] = [];
  const health = await getJson(`${url}/healthz`);
  const totalLikes = [...truth.likes.values()].reduce((a, b) => a + b, 0);
  if (health.tweets !== truth.tweets) wrong.push(`tweets ${health.tweets} != ${truth.tweets}`);
  if (health.likes !== totalLikes) wrong.push(`likes ${health.likes} != ${totalLikes}`);
  const page = await getJson(`${url}/tweets?limit=5`);
  if (page.total !== truth.tweets) wrong.push(`total ${page.total} != ${truth.tweets}`);
  for (const id of ["tweet-0", "tweet-2", "tweet-4000", `tweet-${9_978}`]) {
    const res = await fetch(`${url}/tweets/${id}`);
    if (res.status !== 200) {
      wrong.push(`${id}: ${res.status}`);
      continue;
    }
    const likes = anyJson(await res.json()).likes;
    if (likes !== truth.likes.get(id))
      wrong.push(`${id}: ${likes} likes != ${truth.likes.get(id)}`);
  }
  return wrong;
}

/**
 * Polls until serve's counts match the recount and /healthz says ok, at most 30 s; returns
 * how long a read of the oldest tweet answered 5xx on the way (first to last such answer).
 */
async function repaired(url: string, stream: string) {
  let firstError: number | undefined;
  let lastError = 0;
  let last: string[] = [];
  await waitFor(
    async () => {
      const body = await getJson(`${url}/healthz`);
      const old = await fetch(`${url}/tweets/tweet-0`);
      await old.arrayBuffer();
      if (old.status >= 500) {
        firstError ??= Date.now();
        lastError = Date.now();
      }
      if (body.view.state !== "ok" || body.status !== "ok") {
        last = [`/healthz: ${JSON.stringify(body.view)}`];
        return false;
      }
      last = await mismatches(url, stream);
      return last.length === 0;
    },
    30_000,
    "serve's counts to match the stream",
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last.join(", ")}`);
  });
  return { errorsMs: firstError === undefined ? 0 : lastError - firstError };
}

const bucketKeys = (stream: string) =>
  withConnection(server.url, async (nc) => {
    const kv = await nc.jetstream().views.kv(bucketOf(stream));
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    return keys;
  });

const GARBAGE = ["", "{", "null", "[]", '{"gen":">"}', '{"id":"x","likes":-1}', "\u0000\u00ff"];

/** Writes garbage into every key of the bucket (`_current` gets `{"gen":">"}`). */
async function garbageEverywhere(stream: string): Promise<number> {
  const keys = await bucketKeys(stream);
  await withConnection(server.url, async (nc) => {
    const kv = await nc.jetstream().views.kv(bucketOf(stream));
    let i = 0;
    for (const k of keys) {
      const value = k === "_current" ? '{"gen":">"}' : GARBAGE[i++ % GARBAGE.length]!;
      await kv.put(k, new TextEncoder().encode(value));
    }
  });
  return keys.length;
}

const likeOldest = async (url: string) => {
  const res = await fetch(`${url}/tweets/tweet-0/likes`, { method: "POST" });
  return { status: res.status, body: anyJson(await res.json()) };
};

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await serves.stopAll();
  await server?.stop();
});

describe("garbage in every key of the view's bucket", () => {
  it("while running: rebuilt from the stream, every count matches it again", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    expect(await mismatches(s.url, stream)).toEqual([]);
    expect(await garbageEverywhere(stream)).toBeGreaterThan(100);
    await repaired(s.url, stream);
    expect(s.stderr()).toMatch(/building a new generation from the stream/);
    expect(s.stderr()).toMatch(/view: repaired \(generation \d+ built from the stream\)/);
    // new events are counted in the new generation
    await moreLikes(stream, "tweet-0", 3, 100);
    await repaired(s.url, stream);
    // a record deleted: an older tweet's (read from the bucket) is not "unknown"
    const gen = (await getJson(`${s.url}/healthz`)).view.generation as number;
    await withConnection(server.url, async (nc) => {
      await (await nc.jetstream().views.kv(bucketOf(stream))).delete(`g${gen}.t.tweet-2`);
    });
    expect((await fetch(`${s.url}/tweets/tweet-2`)).status).toBe(503);
    await repaired(s.url, stream);
    expect(s.stderr()).toMatch(/g\d+\.t\.tweet-2 holds no valid value \(deleted\)/);
    expect((await likeOldest(s.url)).status).toBe(202);
    await repaired(s.url, stream);
    expect(await s.stop()).toBe(0);
  }, 90_000);

  it("before a start: serve starts (no exit 1) and counts what the stream holds", async () => {
    const stream = await newStream();
    const first = await serve(stream);
    expect(await first.stop()).toBe(0);
    await garbageEverywhere(stream);
    await moreLikes(stream, "tweet-2", 5, 0);
    const s = await serve(stream);
    await repaired(s.url, stream);
    expect(await s.stop()).toBe(0);
  }, 90_000);
});

describe("damage only an instance that does not write reads", () => {
  it("is repaired by the writer it tells", async () => {
    const stream = await newStream();
    const writer = await serve(stream);
    const reader = await serve(stream);
    await waitFor(
      async () => (await getJson(`${reader.url}/healthz`)).view.writer === false,
      5_000,
      "the second instance to be a reader",
    );
    const gen = (await getJson(`${writer.url}/healthz`)).view.generation as number;
    await withConnection(server.url, async (nc) => {
      const kv = await nc.jetstream().views.kv(bucketOf(stream));
      await kv.put(`g${gen}.t.tweet-0`, new TextEncoder().encode('{"id":"tweet-0"}'));
    });
    // the oldest tweet is read from the bucket: only the reader reads it
    expect((await fetch(`${reader.url}/tweets/tweet-0`)).status).toBe(503);
    await repaired(reader.url, stream);
    await repaired(writer.url, stream);
    expect(writer.stderr()).toMatch(/another instance found: .*g\d+\.t\.tweet-0/);
    expect((await getJson(`${reader.url}/healthz`)).view.generation).toBeGreaterThan(gen);
    expect(await reader.stop()).toBe(0);
    expect(await writer.stop()).toBe(0);
  }, 90_000);
});

describe("a lease someone else wrote and never renews", () => {
  it("is taken over, before a start and while running, whatever its `until` says", async () => {
    const stream = await newStream();
    const first = await serve(stream);
    expect(await first.stop()).toBe(0);
    const foreignLease = () =>
      withConnection(server.url, async (nc) => {
        const kv = await nc.jetstream().views.kv(bucketOf(stream));
        const lease = JSON.stringify({ owner: "x", until: 9_999_999_999_999 });
        await kv.put("_writer", new TextEncoder().encode(lease));
      });
    await foreignLease();
    // stored while nobody maintains the view: a start waits for the lease, then applies them
    await moreLikes(stream, "tweet-0", 10, 0);
    const s = await serve(stream);
    await repaired(s.url, stream);
    expect((await getJson(`${s.url}/healthz`)).view.writer).toBe(true);

    await foreignLease();
    await waitFor(
      async () => (await getJson(`${s.url}/healthz`)).view.writer === false,
      5_000,
      "the writer to see the foreign lease",
    );
    await moreLikes(stream, "tweet-0", 10, 10);
    await waitFor(
      async () => (await getJson(`${s.url}/healthz`)).view.writer === true,
      15_000,
      "the lease taken over",
    );
    await repaired(s.url, stream);
    expect(await s.stop()).toBe(0);
  }, 90_000);
});

describe("the bucket purged or removed", () => {
  it("purged while running: rebuilt, the oldest tweet found and liked, counts exact", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    await withConnection(server.url, async (nc) => {
      await (await nc.jetstreamManager()).streams.purge(`KV_${bucketOf(stream)}`);
    });
    await repaired(s.url, stream);
    expect(s.stderr()).toMatch(/_current is missing \(the bucket was purged\)/);
    expect(s.stderr()).toMatch(/view: repaired/);
    const like = await likeOldest(s.url);
    expect(like.status).toBe(202);
    expect(like.body.likes).toBe((await recount(stream)).likes.get("tweet-0"));
    expect(await s.stop()).toBe(0);
  }, 90_000);

  it("removed while running: created again, no 5xx once rebuilt, counts exact", async () => {
    const stream = await newStream();
    const s = await serve(stream);
    await withConnection(server.url, async (nc) => {
      await (await nc.jetstreamManager()).streams.delete(`KV_${bucketOf(stream)}`);
    });
    // 5xx (the old bucket's reads failing) for no longer than a rebuild
    expect((await repaired(s.url, stream)).errorsMs).toBeLessThan(5_000);
    expect(s.stderr()).toMatch(/was removed; created again/);
    expect(s.stderr()).toMatch(/view: repaired/);
    expect(await bucketKeys(stream)).toContain("_current");
    // a like of an old tweet reads its record back from the recreated bucket
    expect((await likeOldest(s.url)).status).toBe(202);
    await repaired(s.url, stream);
    expect(await s.stop()).toBe(0);
  }, 90_000);

  it("purged or removed before a start: the view is built again from the stream", async () => {
    const stream = await newStream();
    expect(await (await serve(stream)).stop()).toBe(0);
    await withConnection(server.url, async (nc) => {
      await (await nc.jetstreamManager()).streams.purge(`KV_${bucketOf(stream)}`);
    });
    const a = await serve(stream);
    await repaired(a.url, stream);
    expect(await a.stop()).toBe(0);
    await withConnection(server.url, async (nc) => {
      await (await nc.jetstreamManager()).streams.delete(`KV_${bucketOf(stream)}`);
    });
    const b = await serve(stream);
    await repaired(b.url, stream);
    expect(await b.stop()).toBe(0);
  }, 90_000);
});

describe("the account's JetStream storage full", () => {
  const dir = mkdtempSync(join(tmpdir(), "ts-serve-full-"));
  let full: TestServer;
  afterAll(async () => {
    await full?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a running serve answers writes 507 and /healthz says so; a start exits 5 naming it", async () => {
    const conf = join(dir, "full.conf");
    writeFileSync(conf, "jetstream { max_file_store: 1MB }\n");
    full = await startServer({ args: ["-c", conf] });
    const fenv = { env: { NATS_URL: full.url } };
    const stream = uniqueStream("FULL");
    expect((await runCli(["stream", "add", stream], fenv)).code).toBe(0);
    const s = await serve(stream, full.url);
    // a second instance, which does not write the view: it learns from its own writes
    const r = await serve(stream, full.url);
    const fill = await runCli(
      ["--stream", stream, "tweet", `fill {{n}} ${"x".repeat(200)}`, "--count", "6000"],
      fenv,
    );
    expect(fill.stderr).toMatch(/insufficient resources|limit reached/);

    const post = await fetch(`${s.url}/tweets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: "no room", author: "a" }),
    });
    expect(post.status).toBe(507);
    expect(anyJson(await post.json()).error).toMatch(/insufficient resources|limit/);
    const like = await fetch(
      `${r.url}/tweets/${anyJson(await getJson(`${r.url}/tweets?limit=1`)).tweets[0].id}/likes`,
      { method: "POST" },
    );
    expect(like.status).toBe(507);
    for (const instance of [s, r]) {
      const health = await waitFor(
        async () => {
          const h = anyJson(await getJson(`${instance.url}/healthz`));
          return h.view.state === "full" ? h : undefined;
        },
        10_000,
        "/healthz to say writes find no room",
      );
      expect(health.status).toBe("degraded");
      expect(health.view.reason).toMatch(/insufficient resources/);
      // reads still answer
      expect((await fetch(`${instance.url}/tweets?limit=1`)).status).toBe(200);
    }
    expect((await getJson(`${r.url}/healthz`)).view.writer).toBe(false);
    expect(await r.stop()).toBe(0);
    expect(await s.stop()).toBe(0);

    const started = Date.now();
    const again = await runCli(["--stream", stream, "serve", "--port", "0"], fenv);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/view's bucket .*insufficient resources/);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 90_000);
});
