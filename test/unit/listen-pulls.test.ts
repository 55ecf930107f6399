// listen's pulls (src/nats/listen-pulls.ts) over a fake connection: the requests it
// publishes (sizes: a pipe's slow start, --count, the room the window leaves beside what
// is outstanding), one inbox for all of them, what is counted as still to come as messages
// and statuses arrive, the failures a status means, and a stop, after which nothing more
// is asked for.

import type { Msg, NatsConnection } from "nats";
import { describe, expect, it } from "vitest";
import { Pulls, WINDOW } from "../../src/nats/listen-pulls.js";
import { deliveredMessage, statusMessage } from "./fakes/pull-answers.js";

function fakeConnection() {
  const requests: Array<{
    subject: string;
    body: { batch: number; expires: number };
    reply: string;
  }> = [];
  const subscribed: string[] = [];
  let deliver: (m: Msg) => void = () => undefined;
  const nc = {
    subscribe: (subject: string, opts: { callback: (err: Error | null, m: Msg) => void }) => {
      subscribed.push(subject);
      deliver = (m) => opts.callback(null, m);
      return { closed: new Promise(() => undefined), unsubscribe: () => undefined };
    },
    publish: (subject: string, data: Uint8Array, opts: { reply: string }) =>
      requests.push({
        subject,
        body: JSON.parse(new TextDecoder().decode(data)) as { batch: number; expires: number },
        reply: opts.reply,
      }),
  } as unknown as NatsConnection;
  let seq = 0;
  /** a message delivered for a pull (the consumer's pending count after it: `pending`) */
  const message = (pending = 0) => deliver(deliveredMessage("S", "C", ++seq, seq, pending));
  /** a status answering the request `reply` */
  const status = (reply: string, code: number, description: string, left?: number) =>
    deliver(statusMessage(reply, code, description, left));
  return { nc, requests, subscribed, message, status };
}

const pullsOn = (f: ReturnType<typeof fakeConnection>, slowStart = false) =>
  new Pulls(f.nc, "$JS.API", "S", "_INBOX", slowStart);

describe("listen's pulls", () => {
  it("start at 1 in a pipe and double up to the window; a full window at once otherwise", () => {
    const slow = fakeConnection();
    const pulls = pullsOn(slow, true);
    const asked: number[] = [];
    for (let i = 0; i < 11; i++) {
      asked.push(pulls.ask("C", Infinity, 5_000));
      pulls.giveUp();
    }
    expect(asked).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256]);
    pulls.close();
    const fast = pullsOn(fakeConnection());
    expect(fast.ask("C", Infinity, 5_000)).toBe(WINDOW);
    fast.close();
  });

  it("publishes each pull to the consumer's MSG.NEXT subject, replies on one inbox with a token each", () => {
    const f = fakeConnection();
    const pulls = pullsOn(f);
    pulls.ask("C", 10, 5_000);
    pulls.ask("C", 20, 2_000);
    expect(f.subscribed).toHaveLength(1);
    const inbox = f.subscribed[0]!.slice(0, -1);
    expect(f.subscribed[0]).toMatch(/^_INBOX\.[0-9a-f]{22}\.\*$/);
    expect(f.requests).toEqual([
      {
        subject: "$JS.API.CONSUMER.MSG.NEXT.S.C",
        body: { batch: 10, expires: 5_000_000_000 },
        reply: `${inbox}1`,
      },
      {
        subject: "$JS.API.CONSUMER.MSG.NEXT.S.C",
        body: { batch: 20, expires: 2_000_000_000 },
        reply: `${inbox}2`,
      },
    ]);
    pulls.close();
  });

  it("never ask for more than is needed, nor more than the window holds beside what is outstanding", () => {
    const f = fakeConnection();
    const pulls = pullsOn(f);
    expect(pulls.ask("C", 3, 5_000)).toBe(3);
    expect(pulls.ask("C", Infinity, 5_000)).toBe(WINDOW - 3);
    expect(pulls.outstanding).toBe(WINDOW);
    expect(pulls.ask("C", Infinity, 5_000)).toBe(0);
    pulls.giveUp();
    expect(pulls.ask("C", 0, 5_000)).toBe(0);
    expect(f.requests.map((r) => r.body.batch)).toEqual([3, WINDOW - 3]);
    pulls.close();
  });

  it("count in the window what arrived and was not read yet: a whole pull read from the socket at once", () => {
    const f = fakeConnection();
    const pulls = pullsOn(f);
    pulls.ask("C", Infinity, 5_000);
    for (let i = 0; i < WINDOW; i++) f.message(1_000);
    expect(pulls.outstanding).toBe(0);
    expect(pulls.unread).toBe(WINDOW);
    expect(pulls.ask("C", Infinity, 5_000)).toBe(0);
    for (let i = 0; i < WINDOW / 2; i++) pulls.take();
    expect(pulls.unread).toBe(WINDOW / 2);
    // room for the half read: the next pull travels while the other half is written
    expect(pulls.ask("C", Infinity, 5_000)).toBe(WINDOW / 2);
    expect(pulls.unread).toBe(WINDOW);
    expect(f.requests.map((r) => r.body.batch)).toEqual([WINDOW, WINDOW / 2]);
    pulls.close();
  });

  it("counts what is still to come: messages, and what an expired pull says it did not bring", () => {
    const f = fakeConnection();
    const pulls = pullsOn(f);
    pulls.ask("C", 5, 5_000);
    f.message(1);
    f.message(0);
    expect(pulls.outstanding).toBe(3);
    expect(pulls.queued).toBe(2);
    expect(pulls.take()?.info).toMatchObject({ streamSequence: 1, consumer: "C", pending: 1 });
    f.status(f.requests[0]!.reply, 408, "Request Timeout", 3);
    expect(pulls.outstanding).toBe(0);
    expect(pulls.full).toBe(false);
    // all asked for came: the backlog may hold more
    pulls.ask("C", 2, 5_000);
    f.message();
    f.message();
    expect(pulls.outstanding).toBe(0);
    expect(pulls.full).toBe(true);
    // a late status of a pull given up is not counted against the next
    pulls.ask("C", 4, 5_000);
    pulls.giveUp();
    pulls.ask("C", 4, 5_000);
    f.status(f.requests[2]!.reply, 408, "Request Timeout", 4);
    expect(pulls.outstanding).toBe(4);
    pulls.close();
  });

  it("fails on a status refusing the pulls: no responders, consumer deleted, bad request, over a limit", () => {
    for (const [code, description, message] of [
      [503, "", "no responders"],
      [409, "Consumer Deleted", "consumer deleted"],
      [400, "Bad Request", "bad request"],
      [409, "Exceeded MaxRequestBatch of 100", "exceeded maxrequestbatch of 100"],
    ] as const) {
      const f = fakeConnection();
      const pulls = pullsOn(f);
      pulls.ask("C", 5, 5_000);
      f.status(f.requests[0]!.reply, code, description);
      expect(pulls.outstanding).toBe(0);
      expect(() => pulls.throwIfFailed()).toThrow(
        expect.objectContaining({ message, code: String(code) }),
      );
      // once
      expect(() => pulls.throwIfFailed()).not.toThrow();
      pulls.close();
    }
  });

  it("ends a pull the server ended without saying what it did not bring (a leadership change)", () => {
    const f = fakeConnection();
    const pulls = pullsOn(f);
    pulls.ask("C", 10, 5_000);
    pulls.ask("C", 20, 5_000);
    f.message();
    f.status(f.requests[0]!.reply, 409, "Leadership Change");
    // no more than the other pull can bring
    expect(pulls.outstanding).toBe(20);
    f.status(f.requests[1]!.reply, 409, "Leadership Change");
    expect(pulls.outstanding).toBe(0);
    expect(() => pulls.throwIfFailed()).not.toThrow();
    pulls.close();
  });

  it("after a stop asks for nothing more; what arrives later is handed back by close()", () => {
    const f = fakeConnection();
    const pulls = pullsOn(f);
    pulls.ask("C", Infinity, 5_000);
    pulls.cutOff();
    expect(pulls.outstanding).toBe(0);
    expect(pulls.ask("C", Infinity, 5_000)).toBe(0);
    f.message();
    expect(pulls.close().map((m) => m.seq)).toEqual([1]);
    expect(f.requests).toHaveLength(1);
  });
});
