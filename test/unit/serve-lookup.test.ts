// serve never answers "not found" for what it cannot know yet: a tweet the timeline lacks while
// the timeline is behind the stream's last sequence is 503 + Retry-After (or found once the timeline
// catches up), 404 only once the timeline has read up to the stream's last sequence. An in-memory
// timeline held behind, driven through the app's real HTTP handler.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, type TimelineReads } from "../../src/serve/app.js";
import type { TweetDetail } from "../../src/serve/timeline/model.js";

/** A timeline that has read up to `lastSeq`; `store` adds a tweet seen at a sequence. */
function fakeTimeline() {
  const tweets = new Map<string, TweetDetail>();
  const waiters: Array<() => void> = [];
  const timeline = {
    lastSeq: 0,
    tweet: (id: string) => Promise.resolve(tweets.get(id)),
    page: () => Promise.resolve({ tweets: [], total: 0, lastSeq: timeline.lastSeq }),
    waitForSeq(seq: number, ms: number) {
      if (timeline.lastSeq >= seq) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        waiters.push(() => {
          if (timeline.lastSeq >= seq) {
            clearTimeout(t);
            resolve();
          }
        });
      });
    },
    waitForTweet: (id: string) => Promise.resolve(tweets.get(id)),
    likesAfter: (id: string) => Promise.resolve(tweets.get(id)?.likes ?? 0),
  };
  return {
    timeline: timeline as TimelineReads & { lastSeq: number },
    /** the timeline reads the tweet stored at `seq` */
    read(id: string, seq: number) {
      tweets.set(id, {
        id,
        message: "m",
        author: "a",
        date: "2026-01-01T00:00:00Z",
        seq,
        likes: 0,
        liked_by: [],
      } as unknown as TweetDetail);
      timeline.lastSeq = seq;
      for (const w of waiters) w();
    },
  };
}

let server: Server | undefined;
afterEach(() => server?.close());

async function serveWith(timeline: TimelineReads, streamLast: () => number) {
  let seq = 100;
  const app = createApp({
    stream: "S",
    timeline,
    events: async () => undefined,
    maxBodyBytes: 4096,
    publish: () => Promise.resolve({ seq: ++seq, duplicate: false }),
    storedEvent: () => Promise.resolve(null),
    connected: () => true,
    streamLastSeq: () => Promise.resolve(streamLast()),
    health: () => Promise.resolve({ ok: true, body: {} }),
    logError: () => undefined,
  });
  server = createServer((req, res) => app.handle(req, res));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe("serve: a tweet the timeline lacks", () => {
  it("is 503 with Retry-After while the timeline is behind the stream, not 404", async () => {
    const { timeline, read } = fakeTimeline();
    read("old", 5);
    const base = await serveWith(timeline, () => 9); // stored at 6..9, not read yet
    const like = await fetch(`${base}/tweets/new/likes`, { method: "POST" });
    expect(like.status).toBe(503);
    expect(like.headers.get("retry-after")).toBe("1");
    expect(((await like.json()) as { error: string }).error).toMatch(
      /not in the view yet \(read up to 5, stream at 9\)/,
    );
    const get = await fetch(`${base}/tweets/new`);
    expect(get.status).toBe(503);
  });

  it("is found when the timeline catches up while the request waits", async () => {
    const { timeline, read } = fakeTimeline();
    read("old", 5);
    const base = await serveWith(timeline, () => 7);
    const pending = fetch(`${base}/tweets/new/likes`, { method: "POST" });
    setTimeout(() => read("new", 7), 100);
    expect((await pending).status).toBe(202);
    expect((await fetch(`${base}/tweets/new`)).status).toBe(200);
  });

  it("is 404 once the timeline has read up to the stream's last sequence", async () => {
    const { timeline, read } = fakeTimeline();
    read("old", 9);
    const base = await serveWith(timeline, () => 9);
    expect((await fetch(`${base}/tweets/nope/likes`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${base}/tweets/nope`)).status).toBe(404);
    expect((await fetch(`${base}/tweets/old`)).status).toBe(200);
  });
});
