// listen's confirming acks on the run's own inbox (src/nats/listen-confirmations.ts), over an
// in-memory fake of the client: answered, no responders, timed out by one timer, refused by
// the server (a permissions status naming the subject), and closed (its status watch ended).

import type { Msg, NatsConnection, Status } from "nats";
import { afterEach, describe, expect, it, vi } from "vitest";
import { confirmationsOn } from "../../src/nats/listen-confirmations.js";
import { natsErrorCode } from "../../src/nats/errors.js";
import { statusEvents } from "./fakes/status-events.js";

function fakeClient() {
  let callback: (err: Error | null, m: Msg) => void = () => undefined;
  const sent: Array<{ subject: string; reply: string }> = [];
  const statuses = statusEvents();
  let unsubscribed = false;
  const nc = {
    subscribe: (_subject: string, opts: { callback: typeof callback }) => {
      callback = opts.callback;
      return { closed: new Promise(() => undefined), unsubscribe: () => (unsubscribed = true) };
    },
    publish: (subject: string, _data: Uint8Array, opts: { reply: string }) =>
      sent.push({ subject, reply: opts.reply }),
    status: statuses.status,
  } as unknown as NatsConnection;
  return {
    nc,
    sent,
    unsubscribed: () => unsubscribed,
    answer: (reply: string, code?: number) =>
      callback(null, {
        subject: reply,
        data: new Uint8Array(),
        headers: code === undefined ? undefined : { code },
      } as unknown as Msg),
    /** the status nats.js reports when the server refused a publish to `subject` */
    refusePublish: (subject: string) =>
      statuses.push({
        type: "error",
        data: "PERMISSIONS_VIOLATION",
        permissionContext: { operation: "publish", subject },
      } as Status),
    statusWatches: statuses.alive,
  };
}

const ACK = new TextEncoder().encode("+ACK");
const outcome = (p: Promise<void>) =>
  p.then(
    () => "ok",
    (err: unknown) => natsErrorCode(err),
  );

afterEach(() => vi.useRealTimers());

describe("listen's ack confirmations on one inbox", () => {
  it("publishes each with a reply on the inbox, and resolves it when answered (an empty 503: no responders)", async () => {
    const client = fakeClient();
    const c = confirmationsOn(client.nc, "_INBOX", 5_000);
    const a = outcome(c.request("$JS.ACK.S.D.1.1.1.0.0", ACK));
    const b = outcome(c.request("$JS.ACK.S.D.1.2.2.0.0", ACK));
    expect(client.sent.map((s) => s.subject)).toEqual([
      "$JS.ACK.S.D.1.1.1.0.0",
      "$JS.ACK.S.D.1.2.2.0.0",
    ]);
    const [ra, rb] = client.sent.map((s) => s.reply);
    expect(ra).toMatch(/^_INBOX\.[0-9a-f]{22}\.1$/);
    client.answer(rb!, 503);
    client.answer(ra!);
    expect(await a).toBe("ok");
    expect(await b).toBe("503");
    c.close();
  });

  it("times out what no one answered, with one timer for the oldest", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const spy = vi.spyOn(globalThis, "setTimeout");
    const client = fakeClient();
    const c = confirmationsOn(client.nc, "_INBOX", 1_000);
    const first = outcome(c.request("$JS.ACK.a", ACK));
    await vi.advanceTimersByTimeAsync(400);
    const second = outcome(c.request("$JS.ACK.b", ACK));
    const third = outcome(c.request("$JS.ACK.c", ACK));
    expect(spy).toHaveBeenCalledTimes(1);
    client.answer(client.sent[2]!.reply);
    await vi.advanceTimersByTimeAsync(600);
    expect(await first).toBe("TIMEOUT");
    expect(await third).toBe("ok");
    let settled = false;
    void second.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(399);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await second).toBe("TIMEOUT");
    c.close();
  });

  it("fails the confirmation whose subject the server refused, as nats.js's request does", async () => {
    const client = fakeClient();
    const c = confirmationsOn(client.nc, "_INBOX", 5_000);
    const refused = outcome(c.request("$JS.ACK.S.D.1.7.7.0.0", ACK));
    const other = outcome(c.request("$JS.ACK.S.D.1.8.8.0.0", ACK));
    client.refusePublish("$JS.ACK.S.D.1.7.7.0.0");
    expect(await refused).toBe("PERMISSIONS_VIOLATION");
    client.answer(client.sent[1]!.reply);
    expect(await other).toBe("ok");
    c.close();
  });

  it("on close unsubscribes, fails what still waits, and refuses what comes after", async () => {
    const client = fakeClient();
    const c = confirmationsOn(client.nc, "_INBOX", 5_000);
    const waiting = outcome(c.request("$JS.ACK.a", ACK));
    c.close();
    expect(client.unsubscribed()).toBe(true);
    expect(await waiting).toBe("CONNECTION_CLOSED");
    expect(await outcome(c.request("$JS.ACK.b", ACK))).toBe("CONNECTION_CLOSED");
  });

  it("on close ends its watch of the connection's status at once: none piles up over many sets", async () => {
    const client = fakeClient();
    // an ephemeral listener makes a set per consumer it recreates, on one connection
    for (let i = 0; i < 20; i++) {
      const c = confirmationsOn(client.nc, "_INBOX", 5_000);
      expect(client.statusWatches()).toBe(1);
      c.close();
      // ended without any status event coming
      await vi.waitFor(() => expect(client.statusWatches()).toBe(0));
    }
    // the one still open is still told of a refused publish
    const c = confirmationsOn(client.nc, "_INBOX", 5_000);
    const refused = outcome(c.request("$JS.ACK.x", ACK));
    client.refusePublish("$JS.ACK.x");
    expect(await refused).toBe("PERMISSIONS_VIOLATION");
    c.close();
    await vi.waitFor(() => expect(client.statusWatches()).toBe(0));
  });
});
