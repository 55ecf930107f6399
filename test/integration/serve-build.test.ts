// serve's first build writes the view's records in bulk batches (sent without an ack each,
// confirmed by the head's write: src/nats/bucket-writes.ts). Over a stream with likes before
// their tweets, the same like twice, a tweet id stored twice and likes of tweets in the
// same batch, the view equals what `view --json` reads; with another client writing keys of
// its own in the bucket during the build, the batches it lands in are written again acked
// (tweetstream_view_build_fallbacks_total moves) and the view is still exact.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, type CliResult } from "../helpers/cli.js";
import { publishRaw, withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { servesAgainst, type ServeProcess } from "../helpers/serve.js";
import { anyJson, getJson } from "../helpers/http.js";

let server: TestServer;
const serves = servesAgainst(() => server.url);
const { ts, newStream } = cliAgainst(() => server.url);

beforeAll(async () => {
  server = await startServer();
}, 30_000);

afterAll(async () => {
  await serves.stopAll();
  await server?.stop();
});

/**
 * `n` tweets `b<i>`, with likes: of a tweet three ahead (stored before it), of the tweet
 * just stored (the same batch), the same like stored twice, a tweet id stored a second
 * time, and likes of older tweets spread over the stream.
 */
async function mixedStream(n: number): Promise<string> {
  const stream = await newStream([], "BLD");
  const date = new Date(Date.UTC(2026, 1, 1)).toISOString();
  const msgs: Array<{ subject: string; data: string }> = [];
  const add = (messageType: string, id: string, author: string, message = "") =>
    msgs.push({
      subject: `${stream}.${messageType}`,
      data: JSON.stringify({ messageType, id, message, date, author }),
    });
  for (let i = 0; i < n; i++) {
    add("tweet_created", `b${i}`, "a", `m${i}`);
    if (i % 7 === 0) add("tweet_liked", `b${i + 3}`, `early${i}`);
    if (i % 5 === 0) add("tweet_liked", `b${i}`, "same-batch");
    if (i % 11 === 0 && i > 2) add("tweet_created", `b${i - 2}`, "again", "again");
    if (i % 3 === 0) add("tweet_liked", `b${(i * 7919) % (i + 1)}`, `fan${i % 17}`);
    if (i % 13 === 0) {
      add("tweet_liked", `b${i >> 1}`, "twice");
      add("tweet_liked", `b${i >> 1}`, "twice");
    }
  }
  await publishRaw(server.url, msgs);
  return stream;
}

/** Tweets (first event of an id) and likes by id, from `view --json`'s records. */
function countsOf(view: CliResult) {
  expect(view.code, view.stderr).toBe(0);
  const tweets = new Set<string>();
  const likes = new Map<string, number>();
  for (const r of view.lines()) {
    const e = anyJson(r).event as { messageType: string; id: string };
    if (e.messageType === "tweet_created") tweets.add(e.id);
    else likes.set(e.id, (likes.get(e.id) ?? 0) + 1);
  }
  return { tweets: tweets.size, likes, total: [...likes.values()].reduce((a, b) => a + b, 0) };
}

async function fallbacks(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^tweetstream_view_build_fallbacks_total (\d+)$/m.exec(text);
  expect(m, text).not.toBeNull();
  return Number(m![1]);
}

/** What serve says that differs from `view --json` (empty: nothing), for `ids`. */
async function differences(s: ServeProcess, stream: string, ids: string[]): Promise<string[]> {
  const truth = countsOf(await ts(["view", stream, "--json"]));
  const wrong: string[] = [];
  const health = await getJson(`${s.url}/healthz`);
  if (health.tweets !== truth.tweets) wrong.push(`tweets ${health.tweets} != ${truth.tweets}`);
  if (health.likes !== truth.total) wrong.push(`likes ${health.likes} != ${truth.total}`);
  for (const id of ids) {
    const res = await fetch(`${s.url}/tweets/${id}`);
    const likes = res.status === 200 ? anyJson(await res.json()).likes : `status ${res.status}`;
    if (likes !== (truth.likes.get(id) ?? 0))
      wrong.push(`${id}: ${likes} != ${truth.likes.get(id)}`);
  }
  return wrong;
}

/** Tweets the stream's shapes touch: liked before stored, twice, stored twice, the last. */
const SAMPLE = ["b0", "b3", "b10", "b17", "b24", "b33", "b52", "b1000", "b3999"];

describe("serve's first build in bulk batches", () => {
  it("equals view --json: likes before their tweets, duplicates, likes in the same batch", async () => {
    const stream = await mixedStream(4000);
    const s = await serves.serve(stream, [], {});
    expect(await differences(s, stream, SAMPLE)).toEqual([]);
    // nothing else wrote in the bucket: every batch confirmed
    expect(await fallbacks(s.url)).toBe(0);
    await s.stop();
  }, 120_000);

  it("another client writing in the bucket during the build: batches written again, exact", async () => {
    const stream = await mixedStream(12_000);
    const bucket = `tweetstream_view_${stream}`;
    let listening = false;
    const started = serves.serve(stream, [], {}).finally(() => (listening = true));
    // keys of its own in the bucket, one at a time, from when the bucket exists until serve
    // has built the view (the build takes seconds: batches of 1000 of 18 000 messages)
    const puts = await withConnection(server.url, async (nc) => {
      const jsm = await nc.jetstreamManager();
      const deadline = Date.now() + 60_000;
      while (!listening && !(await jsm.streams.info(`KV_${bucket}`).catch(() => undefined))) {
        if (Date.now() > deadline) throw new Error("the view's bucket never appeared");
        await new Promise((r) => setTimeout(r, 5));
      }
      const kv = await nc.jetstream().views.kv(bucket, { bindOnly: true });
      let n = 0;
      while (!listening) await kv.put(`foreign.k${n++ % 10}`, new TextEncoder().encode("{}"));
      return n;
    });
    const s = await started;
    expect(puts).toBeGreaterThan(0);
    expect(await fallbacks(s.url)).toBeGreaterThan(0);
    expect(await differences(s, stream, SAMPLE)).toEqual([]);
    await s.stop();
  }, 120_000);
});
