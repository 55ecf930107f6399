// The app while NATS is down (issue 18, item 5), with an in-memory timeline that never
// answers what it does not hold: writes are 503 + Retry-After before the timeline is asked,
// reads answer from memory or 503 at once.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, type AppDeps } from "../../src/serve/app.js";
import type { TweetDetail } from "../../src/serve/timeline/model.js";

const held: TweetDetail = {
  id: "held",
  message: "in memory",
  author: "ann",
  date: "2026-01-01T00:00:00.000Z",
  seq: 1,
  likes: 0,
  liked_by: [],
};

/** NATS is down: whatever is not in memory waits forever, as a request to NATS would. */
function downDeps(asked: string[]): AppDeps {
  const never = () => new Promise<never>(() => {});
  return {
    stream: "S",
    maxBodyBytes: 1024,
    connected: () => false,
    timeline: {
      page: async () => ({ tweets: [held], total: 1, lastSeq: 1 }),
      tweet: (id) => {
        asked.push(id);
        return id === "held" ? Promise.resolve(held) : never();
      },
      waitForSeq: never,
      waitForTweet: never,
      likesAfter: never,
      lastSeq: 1,
    },
    streamLastSeq: never,
    events: never,
    publish: never,
    storedEvent: never,
    health: never,
    logError: () => {},
  };
}

let server: Server | undefined;
afterEach(() => server?.close());

async function serveApp(deps: AppDeps): Promise<string> {
  const app = createApp(deps);
  server = createServer(app.handle);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("serve while NATS is down", () => {
  it("answers every write 503 + Retry-After without asking the timeline", async () => {
    const asked: string[] = [];
    const url = await serveApp(downDeps(asked));
    const json = { "Content-Type": "application/json" };
    const writes: Array<[string, RequestInit]> = [
      ["/tweets", { headers: json, body: '{"message":"m","author":"a"}' }],
      [
        "/tweets",
        { headers: { ...json, "Idempotency-Key": "k" }, body: '{"message":"m","author":"a"}' },
      ],
      ["/tweets/held/likes", { headers: json, body: "{}" }],
      ["/tweets/other/likes", { headers: { ...json, "Idempotency-Key": "k" }, body: "{}" }],
    ];
    for (const [path, init] of writes) {
      const res = await fetch(`${url}${path}`, { method: "POST", ...init });
      expect(res.status, path).toBe(503);
      expect(res.headers.get("retry-after"), path).toBe("1");
      expect(((await res.json()) as { error: string }).error).toBe(
        "not stored: not connected to NATS",
      );
    }
    expect(asked).toEqual([]);
  });

  it("reads answer from memory, else 503 at once", async () => {
    const url = await serveApp(downDeps([]));
    expect((await fetch(`${url}/tweets/held`)).status).toBe(200);
    expect((await fetch(`${url}/tweets`)).status).toBe(200);
    const res = await fetch(`${url}/tweets/elsewhere`);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });
});
