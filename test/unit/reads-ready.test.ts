// serve's wait for its view bucket to answer direct gets (src/nats/reads-ready.ts), against
// an in-memory connection whose direct gets get "no responders" for a while (a bucket just
// made on a cluster: its replicas' subscriptions not known to every node yet).
import { describe, expect, it } from "vitest";
import type { Connection } from "../../src/nats/connection.js";
import { untilReadsAnswer } from "../../src/nats/reads-ready.js";
import { CliError } from "../../src/errors.js";

const noResponders = () => Object.assign(new Error("503"), { code: "503" });

/** `silentFor` direct gets answered "no responders", then answers; every request logged. */
function fakeConn(opts: { silentFor: number; allowDirect?: boolean; timeoutMs?: number }) {
  const requests: string[] = [];
  const conn = {
    settings: { servers: "nats://127.0.0.1:4222", timeoutMs: opts.timeoutMs ?? 1_000 },
    jsm: async () => ({
      streams: { info: async () => ({ config: { allow_direct: opts.allowDirect ?? true } }) },
    }),
    nc: {
      async request(subject: string, data: Uint8Array) {
        requests.push(`${subject} ${new TextDecoder().decode(data)}`);
        if (requests.length <= opts.silentFor) throw noResponders();
        // "no message": an answer all the same
        return { headers: { code: 404 } };
      },
    },
  } as unknown as Connection;
  return { conn, requests };
}

describe("untilReadsAnswer", () => {
  it("asks again while direct gets get no responders, and resolves at the first answer", async () => {
    const { conn, requests } = fakeConn({ silentFor: 3 });
    await untilReadsAnswer(conn, "KV_view");
    expect(requests).toEqual(Array(4).fill('$JS.API.DIRECT.GET.KV_view {"seq":1}'));
  });

  it("asks nothing of a stream read through the API (no direct gets)", async () => {
    const { conn, requests } = fakeConn({ silentFor: 100, allowDirect: false });
    await untilReadsAnswer(conn, "KV_view");
    expect(requests).toEqual([]);
  });

  it("past the retry budget (3 × --timeout): the read's own error, no responders, exit 3", async () => {
    const { conn, requests } = fakeConn({ silentFor: Infinity, timeoutMs: 100 });
    const started = performance.now();
    const err = await untilReadsAnswer(conn, "KV_view").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(3);
    expect((err as CliError).message).toBe(
      "no responders: JetStream did not answer on nats://127.0.0.1:4222",
    );
    // the 300 ms budget was used, with several attempts
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(requests.length).toBeGreaterThan(1);
  });
});
