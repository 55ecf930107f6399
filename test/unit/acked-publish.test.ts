// The acked publisher against an in-memory fake of the connection: each answer on the ack
// inbox settles the publish it belongs to, shaped as nats.js shapes it, so that errors.ts
// classifies it as it does a js.publish answer. (The real server: publish.test.ts,
// errors.test.ts, serve-errors.test.ts and the cluster scenarios.)

import { headers, type Msg, type NatsConnection, type Status } from "nats";
import { describe, expect, it } from "vitest";
import { ackedPublisher, unackedCasLane } from "../../src/nats/acked-publish.js";
import { isTransient, toCliError } from "../../src/nats/errors.js";
import { ExitCode } from "../../src/errors.js";

interface Sent {
  subject: string;
  /** "" when sent without one */
  reply: string;
  headers: Record<string, string | undefined>;
}

/** A connection that records publishes and lets the test answer them. */
function fakeConnection() {
  let deliver: ((err: Error | null, m: Msg) => void) | undefined;
  const statuses: Status[] = [];
  let wakeStatus: (() => void) | undefined;
  const sent: Sent[] = [];
  const nc = {
    subscribe(_subject: string, opts: { callback: (err: Error | null, m: Msg) => void }) {
      deliver = opts.callback;
      return { closed: new Promise(() => undefined) };
    },
    publish(
      subject: string,
      _data: Uint8Array,
      opts: { reply?: string; headers: ReturnType<typeof headers> },
    ) {
      if (subject === "refused") throw new Error("MAX_PAYLOAD_EXCEEDED");
      sent.push({
        subject,
        reply: opts.reply ?? "",
        headers: {
          "Nats-Msg-Id": opts.headers.get("Nats-Msg-Id") || undefined,
          "Nats-Expected-Stream": opts.headers.get("Nats-Expected-Stream") || undefined,
          "Nats-Expected-Last-Subject-Sequence":
            opts.headers.get("Nats-Expected-Last-Subject-Sequence") || undefined,
          "Nats-Expected-Last-Sequence":
            opts.headers.get("Nats-Expected-Last-Sequence") || undefined,
        },
      });
    },
    status() {
      return {
        async *[Symbol.asyncIterator]() {
          for (;;) {
            while (statuses.length > 0) yield statuses.shift()!;
            await new Promise<void>((r) => (wakeStatus = r));
          }
        },
      };
    },
  } as unknown as NatsConnection;
  const answer = (reply: string, body: unknown, code?: number) =>
    deliver!(null, {
      subject: reply,
      data: new TextEncoder().encode(body === undefined ? "" : JSON.stringify(body)),
      headers: code === undefined ? undefined : { code },
    } as unknown as Msg);
  const answerRaw = (reply: string, data: Uint8Array) =>
    deliver!(null, { subject: reply, data, headers: undefined } as unknown as Msg);
  const status = (s: Status) => {
    statuses.push(s);
    wakeStatus?.();
  };
  return { nc, sent, answer, answerRaw, status };
}

describe("acked publisher", () => {
  it("sends the message id and expected stream, and resolves with the stream's ack", async () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const a = publish("S.tweet_created", new Uint8Array(), {
      timeoutMs: 1000,
      msgID: "id-1",
      expectStream: "S",
    });
    const b = publish("S.tweet_created", new Uint8Array(), { timeoutMs: 1000, msgID: "id-2" });
    expect(f.sent.map((s) => s.headers)).toEqual([
      { "Nats-Msg-Id": "id-1", "Nats-Expected-Stream": "S" },
      { "Nats-Msg-Id": "id-2", "Nats-Expected-Stream": undefined },
    ]);
    expect(f.sent[0]!.reply).not.toBe(f.sent[1]!.reply);
    // answers in any order reach their own publish
    f.answer(f.sent[1]!.reply, { stream: "S", seq: 8, duplicate: true });
    f.answer(f.sent[0]!.reply, { stream: "S", seq: 7 });
    await expect(a).resolves.toEqual({ stream: "S", seq: 7, duplicate: false });
    await expect(b).resolves.toEqual({ stream: "S", seq: 8, duplicate: true });
  });

  it("each publish carries only its own headers, whatever the one before carried", () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const send = (opts: { msgID?: string; expectStream?: string }) =>
      publish.send("S.tweet_created", new Uint8Array(), { timeoutMs: 1000, ...opts }, () => {});
    send({ msgID: "a", expectStream: "S" });
    send({ msgID: "b", expectStream: "S" });
    send({ msgID: "c" });
    send({});
    send({ msgID: "d", expectStream: "T" });
    send({ msgID: "e", expectStream: "S" });
    expect(f.sent.map((s) => s.headers)).toEqual([
      { "Nats-Msg-Id": "a", "Nats-Expected-Stream": "S" },
      { "Nats-Msg-Id": "b", "Nats-Expected-Stream": "S" },
      { "Nats-Msg-Id": "c", "Nats-Expected-Stream": undefined },
      { "Nats-Msg-Id": undefined, "Nats-Expected-Stream": undefined },
      { "Nats-Msg-Id": "d", "Nats-Expected-Stream": "T" },
      { "Nats-Msg-Id": "e", "Nats-Expected-Stream": "S" },
    ]);
  });

  it("shapes failures as nats.js does: an API error, no responders, a timeout", async () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const full = publish("S.x", new Uint8Array(), { timeoutMs: 1000 });
    const none = publish("S.x", new Uint8Array(), { timeoutMs: 1000 });
    const late = publish("S.x", new Uint8Array(), { timeoutMs: 20 });
    f.answer(f.sent[0]!.reply, {
      error: { code: 503, err_code: 10077, description: "maximum messages exceeded" },
    });
    f.answer(f.sent[1]!.reply, undefined, 503);
    const apiErr = await full.catch((e: unknown) => e);
    expect(apiErr).toMatchObject({ api_error: { err_code: 10077 } });
    const noResponders = await none.catch((e: unknown) => e);
    expect(noResponders).toMatchObject({ code: "503" });
    expect(isTransient(noResponders)).toBe(true);
    const timeout = await late.catch((e: unknown) => e);
    expect(timeout).toMatchObject({ code: "TIMEOUT" });
    expect(isTransient(timeout)).toBe(true);
    // an answer after the timeout is ignored
    f.answer(f.sent[2]!.reply, { stream: "S", seq: 1 });
  });

  it("a publish the server refuses fails at once with permission denied, only that one", async () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const ok = publish("S.tweet_created", new Uint8Array(), { timeoutMs: 5000 });
    const denied = publish("S.tweet_liked", new Uint8Array(), { timeoutMs: 5000 });
    f.status({
      type: "error",
      data: "PERMISSIONS_VIOLATION",
      permissionContext: { operation: "publish", subject: "S.tweet_liked" },
    } as Status);
    const err = await denied.catch((e: unknown) => e);
    expect(toCliError(err).exitCode).toBe(ExitCode.Connection);
    expect(toCliError(err).message).toMatch(/permission denied.*S\.tweet_liked/i);
    f.answer(f.sent[0]!.reply, { stream: "S", seq: 1 });
    await expect(ok).resolves.toMatchObject({ seq: 1 });
  });

  it("send: the callback form, called once from the ack's own callback, errors included", () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const heard: Array<[string | null, number | null]> = [];
    const done = (err: Error | null, ack: { seq: number } | null) =>
      heard.push([err && (err as Error & { code: string }).code, ack && ack.seq]);
    publish.send("S.tweet_created", new Uint8Array(), { timeoutMs: 1000, msgID: "a" }, done);
    publish.send("S.tweet_created", new Uint8Array(), { timeoutMs: 1000, msgID: "b" }, done);
    expect(f.sent.map((s) => s.headers["Nats-Msg-Id"])).toEqual(["a", "b"]);
    expect(heard).toEqual([]);
    f.answer(f.sent[1]!.reply, undefined, 503);
    // synchronously: a bulk run counts the ack before it sends the next event
    expect(heard).toEqual([["503", null]]);
    f.answer(f.sent[0]!.reply, { stream: "S", seq: 4 });
    f.answer(f.sent[0]!.reply, { stream: "S", seq: 4 }); // a second answer is ignored
    expect(heard).toEqual([
      ["503", null],
      [null, 4],
    ]);
  });

  it("lane: one header set, each ack to its own tag, in any order, past the table's size", () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const heard = new Map<number, number | string>();
    const lane = publish.lane<number>({ timeoutMs: 60_000, expectStream: "S" }, (err, ack, tag) => {
      expect(heard.has(tag)).toBe(false);
      heard.set(tag, err ? (err as Error & { code: string }).code : ack!.seq);
    });
    // 1 000 in flight (the table starts at 256 slots), the first one answered last
    for (let i = 0; i < 1000; i++) lane.send("S.tweet_created", new Uint8Array(), `id-${i}`, i);
    expect(f.sent[999]!.headers).toEqual({ "Nats-Msg-Id": "id-999", "Nats-Expected-Stream": "S" });
    for (let i = 999; i >= 1; i--) f.answer(f.sent[i]!.reply, { stream: "S", seq: 10_000 + i });
    expect(heard.size).toBe(999);
    // while the first awaits its ack, thousands more come and go around it
    for (let i = 1000; i < 5000; i++) {
      lane.send("S.tweet_created", new Uint8Array(), `id-${i}`, i);
      if (i % 3 === 0) f.answer(f.sent[i]!.reply, undefined, 503);
      else f.answer(f.sent[i]!.reply, { stream: "S", seq: 10_000 + i });
    }
    f.answer(f.sent[0]!.reply, { stream: "S", seq: 10_000 });
    f.answer(f.sent[0]!.reply, { stream: "S", seq: 1 }); // a second answer is ignored
    expect(heard.size).toBe(5000);
    for (let i = 0; i < 5000; i++) {
      const want = i >= 1000 && i % 3 === 0 ? "503" : 10_000 + i;
      expect(heard.get(i)).toBe(want);
    }
  });

  it("casLane: each write carries its own expected revision, each ack to its own tag", () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const heard = new Map<number, number | string>();
    const lane = publish.casLane<number>({ timeoutMs: 60_000 }, (err, ack, tag) => {
      expect(heard.has(tag)).toBe(false);
      heard.set(tag, err ? (err as Error & { code: string }).code : ack!.seq);
    });
    // runs of new keys (0) between writes over a revision, repeated revisions included
    const expected = [0, 0, 7, 7, 0, 12, 0, 0, 3];
    expected.forEach((rev, i) => lane.send(`$KV.b.k${i}`, new Uint8Array(), rev, i));
    expect(f.sent.map((s) => [s.subject, s.headers])).toEqual(
      expected.map((rev, i) => [
        `$KV.b.k${i}`,
        {
          "Nats-Msg-Id": undefined,
          "Nats-Expected-Stream": undefined,
          "Nats-Expected-Last-Subject-Sequence": String(rev),
        },
      ]),
    );
    const wrong = { code: 400, err_code: 10071, description: "wrong last sequence: 8" };
    for (let i = expected.length - 1; i >= 0; i--) {
      if (i === 2) f.answer(f.sent[i]!.reply, { error: wrong });
      else f.answer(f.sent[i]!.reply, { stream: "KV_b", seq: 100 + i });
    }
    expect([...heard.entries()].sort((a, b) => a[0] - b[0])).toEqual(
      expected.map((_, i) => [i, i === 2 ? "400" : 100 + i]),
    );
  });

  it("casLane with expectLastSeq: the confirm of a bulk batch carries both checks", () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const heard: unknown[] = [];
    const lane = publish.casLane<number>({ timeoutMs: 60_000, expectLastSeq: 41 }, (err, ack) =>
      heard.push(err ? (err as Error & { api_error?: { err_code: number } }).api_error : ack!.seq),
    );
    lane.send("$KV.b.head", new Uint8Array(), 30, 0);
    expect(f.sent[0]!.headers).toEqual({
      "Nats-Expected-Last-Subject-Sequence": "30",
      "Nats-Expected-Last-Sequence": "41",
    });
    const wrong = { code: 400, err_code: 10071, description: "wrong last sequence: 40" };
    f.answer(f.sent[0]!.reply, { error: wrong });
    expect(heard).toEqual([wrong]);
  });

  it("unackedCasLane: no reply subject, each write's expected revision, a refusal said at once", () => {
    const f = fakeConnection();
    const lane = unackedCasLane(f.nc, headers());
    const expected = [0, 0, 7, 7, 0];
    for (const [i, rev] of expected.entries()) {
      expect(lane.send(`$KV.b.k${i}`, new Uint8Array(), rev)).toBe(true);
    }
    expect(lane.send("refused", new Uint8Array(), 0)).toBe(false);
    expect(f.sent.map((s) => [s.subject, s.reply, s.headers])).toEqual(
      expected.map((rev, i) => [
        `$KV.b.k${i}`,
        "",
        { "Nats-Expected-Last-Subject-Sequence": String(rev) },
      ]),
    );
  });

  it("reads every shape of ack as JSON.parse does, the usual one without it", () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const heard: Array<unknown> = [];
    const lane = publish.casLane<number>({ timeoutMs: 60_000 }, (err, ack) =>
      heard.push(err ? ((err as Error & { code?: string }).code ?? err.name) : ack),
    );
    const bodies = [
      '{"stream":"KV_b","seq":1}',
      '{"stream":"KV_b","seq":42}',
      '{"stream":"KV_c","seq":42}',
      '{"stream":"KV_b","seq":9007199254740991}',
      '{"stream":"KV_b","seq":9007199254740993}',
      '{"stream":"ünï","seq":7}',
      '{"stream":"a\\"b","seq":7}',
      '{"stream":"KV_b","seq":8,"duplicate":true}',
      '{"stream":"KV_b","domain":"hub","seq":9}',
      '{"stream":"KV_b","seq":}',
      '{"stream":"","seq":3}',
      '{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 8"}}',
    ];
    bodies.forEach((_, i) => lane.send(`$KV.b.k${i}`, new Uint8Array(), 0, i));
    bodies.forEach((body, i) => f.answerRaw(f.sent[i]!.reply, new TextEncoder().encode(body)));
    const asParsed = (body: string): unknown => {
      let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: unknown };
      try {
        ack = JSON.parse(body) as typeof ack;
      } catch {
        return "SyntaxError";
      }
      if (ack.error) return "400";
      if (!ack.stream) return "BAD_JSON";
      return { ...ack, seq: ack.seq ?? 0, duplicate: ack.duplicate === true };
    };
    expect(heard).toEqual(bodies.map(asParsed));
  });

  it("lane: a publish past its deadline times out, and only that one", async () => {
    const f = fakeConnection();
    const publish = ackedPublisher(f.nc, "_INBOX", headers);
    const heard: Array<[number, string | number, number]> = [];
    const lane = publish.lane<number>({ timeoutMs: 30 }, (err, ack, tag, sentAt) =>
      heard.push([tag, err ? (err as Error & { code: string }).code : ack!.seq, sentAt]),
    );
    const before = Date.now();
    lane.send("S.x", new Uint8Array(), "a", 1);
    lane.send("S.x", new Uint8Array(), "b", 2);
    f.answer(f.sent[1]!.reply, { stream: "S", seq: 5 });
    const deadline = Date.now() + 10_000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(heard.map(([tag, outcome]) => [tag, outcome])).toEqual([
      [2, 5],
      [1, "TIMEOUT"],
    ]);
    // when it was sent: the retry counts the time spent in its budget
    expect(heard[1]![2]).toBeGreaterThanOrEqual(before);
    expect(heard[1]![2]).toBeLessThanOrEqual(Date.now());
  });
});
