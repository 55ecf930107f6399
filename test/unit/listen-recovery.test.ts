// The listener's recovery with a scripted in-memory consumer (no nats-server, no build):
// each pull of the fake answers with the next step of a script (messages, nothing, or a
// failure), and the fake server answers consumer lookups as the scenario says (ok, the
// consumer gone, the stream gone, or silence). Checked: what listen writes, what it asks
// the server (a recreated ephemeral consumer starts after the last written sequence), the
// warnings, and the typed error that ends a run.

import type { Msg } from "nats";
import { describe, expect, it, vi } from "vitest";
import { CliError, ExitCode } from "../../src/errors.js";
import type { Connection } from "../../src/nats/connection.js";
import { createListener, type ListenOptions } from "../../src/nats/listen.js";
import { afterEmptyPull, afterFailedPull } from "../../src/nats/listen-consumer.js";
import { deliveredMessage, statusMessage } from "./fakes/pull-answers.js";
import { statusEvents } from "./fakes/status-events.js";

const encoder = new TextEncoder();

/** A failure as nats.js gives it: a client code, or a JetStream API err_code. */
const natsError = (code: string) => Object.assign(new Error(code), { code });
const apiError = (errCode: number, text: string) =>
  Object.assign(new Error(text), {
    code: "404",
    api_error: { code: 404, err_code: errCode, description: text },
  });
const CONSUMER_NOT_FOUND = apiError(10014, "consumer not found");
const STREAM_NOT_FOUND = apiError(10059, "stream not found");

/** What the server says when asked about the consumer. */
type Probe = "ok" | "consumer-gone" | "stream-gone" | "silent";
/**
 * One pull's answer: these stream sequences (then, if fewer than asked, its expiry), or a
 * status that it cannot be answered; from then on the server answers lookups of the
 * consumer as `then` says (a new consumer answers).
 */
type Step = (
  | { seqs: number[]; /** what the consumer still holds after them */ backlog?: number }
  | { status: number; text: string }
  | { error: Error }
) & {
  then?: Probe;
};
const NO_RESPONDERS = { status: 503, text: "" };
const CONSUMER_DELETED = { status: 409, text: "Consumer Deleted" };

function fakeServer(script: Step[]) {
  const stream = "S";
  let probe: Probe = "ok";
  let backlog = 0;
  let created = 0;
  const adds: Array<Record<string, unknown>> = [];
  const deletes: string[] = [];
  const acked: number[] = [];
  const naked: number[] = [];
  const info = (name: string) => ({
    name,
    stream_name: stream,
    config: { durable_name: name, ack_policy: "explicit" },
    delivered: { consumer_seq: 0, stream_seq: 0 },
    ack_floor: { consumer_seq: 0, stream_seq: 0 },
    num_pending: backlog,
  });
  const consumerInfo = async (_stream: string, name: string) => {
    const answer = probe;
    if (answer === "consumer-gone") throw CONSUMER_NOT_FOUND;
    if (answer === "stream-gone") throw STREAM_NOT_FOUND;
    if (answer === "silent") throw natsError("TIMEOUT");
    return info(name);
  };
  const jsm = {
    streams: {
      info: async () => {
        if (probe === "stream-gone") throw STREAM_NOT_FOUND;
        return { config: { name: stream } };
      },
    },
    consumers: {
      info: consumerInfo,
      add: async (_stream: string, config: Record<string, unknown>) => {
        adds.push(config);
        probe = "ok";
        return info((config.durable_name as string | undefined) ?? `eph${++created}`);
      },
      delete: async (_stream: string, name: string) => {
        deletes.push(name);
        return true;
      },
    },
  };
  let delivered = 0;
  const msg = (name: string, seq: number, pending: number): Msg =>
    deliveredMessage(stream, name, seq, ++delivered, pending, encoder.encode(`{"n":${seq}}`));
  const status = statusMessage;
  const pulls: string[] = [];
  type Callback = (err: Error | null, m: Msg) => void;
  /** the run's inboxes (its pulls', its ack confirmations'): subject prefix → callback */
  const inboxes: Array<{ prefix: string; callback: Callback }> = [];
  const inboxOf = (reply: string) => inboxes.find((s) => reply.startsWith(s.prefix))!.callback;
  let callback: Callback = () => undefined;
  const deliver = (m: Msg) => callback(null, m);
  /** a pull: the next step of the script answers it, as the server would, a moment later */
  const pull = (subject: string, body: Uint8Array, reply: string) => {
    const name = subject.split(".").pop()!;
    const { batch } = JSON.parse(new TextDecoder().decode(body)) as { batch: number };
    pulls.push(name);
    const step: Step = script.shift() ?? { seqs: [] };
    callback = inboxOf(reply);
    if (step.then) probe = step.then;
    setImmediate(() => {
      // a refusal the client reports on the subscription (permissions)
      if ("error" in step) return callback(step.error, {} as Msg);
      if ("status" in step) return deliver(status(reply, step.status, step.text));
      const seqs = step.seqs.slice(0, batch);
      const after = step.backlog ?? 0;
      seqs.forEach((s, i) => deliver(msg(name, s, after + seqs.length - i - 1)));
      // a pull that is not filled ends when it expires (here: soon)
      if (seqs.length < batch)
        setTimeout(() => deliver(status(reply, 408, "Request Timeout", batch - seqs.length)), 5);
    });
  };
  const statuses = statusEvents();
  const nc = {
    isClosed: () => false,
    getServer: () => "127.0.0.1:4222",
    status: statuses.status,
    jetstreamManager: async () => jsm,
    subscribe: (subject: string, opts: { callback: Callback }) => {
      inboxes.push({ prefix: subject.slice(0, -1), callback: opts.callback });
      return { closed: new Promise(() => undefined), unsubscribe: () => undefined };
    },
    // pulls; the ack ledger's plain acks, and the last of a burst as a request on its
    // inbox (answered at once); naks
    publish: (subject: string, data: Uint8Array, opts?: { reply: string }) => {
      if (subject.startsWith("$JS.API.CONSUMER.MSG.NEXT.")) return pull(subject, data, opts!.reply);
      const seq = Number(subject.split(".")[5]);
      if (new TextDecoder().decode(data) === "-NAK") naked.push(seq);
      else acked.push(seq);
      const reply = opts?.reply;
      if (reply)
        setImmediate(() =>
          inboxOf(reply)(null, {
            subject: reply,
            data: new Uint8Array(),
            headers: undefined,
          } as Msg),
        );
    },
  };
  const conn = {
    nc,
    jsm: async () => jsm,
    settings: { timeoutMs: 200, servers: ["nats://127.0.0.1:4222"] },
  } as unknown as Connection;
  return {
    conn,
    adds,
    deletes,
    acked,
    naked,
    pulls,
    setBacklog: (n: number) => (backlog = n),
    statusWatches: statuses.alive,
  };
}

/** A listener over the fake, with what it wrote and warned. */
async function listenOn(
  server: ReturnType<typeof fakeServer>,
  opts: Partial<ListenOptions>,
  /** padding per line: long lines cut bursts by size rather than by count */
  pad = "",
) {
  const written: number[] = [];
  /** how many pulls had been asked for at each write */
  const pullsAtWrites: number[] = [];
  const warnings: string[] = [];
  /** writes (the last sequence of each) and warnings, in order */
  const log: string[] = [];
  const listener = await createListener(
    server.conn,
    { stream: "S", ackBudgetMs: 500, ...opts },
    {
      render: (m) => `${m.seq}${pad}\n`,
      write: async (bytes) => {
        written.push(
          ...Buffer.from(bytes)
            .toString()
            .trimEnd()
            .split("\n")
            .map((l) => parseInt(l, 10)),
        );
        log.push(`wrote up to ${written.at(-1)}`);
        pullsAtWrites.push(server.pulls.length);
        return true;
      },
      warn: (t) => {
        warnings.push(t);
        log.push(t);
      },
      info: () => undefined,
    },
  );
  return { listener, written, warnings, log, pullsAtWrites };
}

describe("the listener's recovery", () => {
  it("ends with exit 4 naming the stream when the stream vanished while listening", async () => {
    const server = fakeServer([{ seqs: [1, 2] }, { ...CONSUMER_DELETED, then: "stream-gone" }]);
    const { listener, written } = await listenOn(server, { durable: "d" });
    const err = await listener.run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.NotFound);
    expect((err as CliError).message).toBe("stream S was removed while listening");
    expect(written).toEqual([1, 2]);
  });

  it("ends with exit 4 naming the durable when its durable was removed", async () => {
    const server = fakeServer([{ seqs: [1] }, { ...CONSUMER_DELETED, then: "consumer-gone" }]);
    const { listener, written } = await listenOn(server, { durable: "d" });
    const err = (await listener.run().catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(ExitCode.NotFound);
    expect(err.message).toBe("durable d was removed from stream S while listening");
    expect(written).toEqual([1]);
    // a durable is never recreated: that would restart it from its deliver policy
    expect(server.adds).toEqual([]);
  });

  it("recreates a removed ephemeral consumer after the last written sequence and goes on", async () => {
    // the second pull brings nothing: an idle stream, or a consumer the server removed
    const server = fakeServer([
      { seqs: [1, 2, 3] },
      { seqs: [], then: "consumer-gone" },
      { seqs: [4, 5] },
    ]);
    const { listener, written, warnings } = await listenOn(server, { count: 5 });
    expect(server.adds).toHaveLength(1);
    const result = await listener.run();
    expect(result).toMatchObject({ written: 5, reason: "count", unconfirmed: 0 });
    expect(written).toEqual([1, 2, 3, 4, 5]);
    expect(server.adds[1]).toMatchObject({
      deliver_policy: "by_start_sequence",
      opt_start_seq: 4,
    });
    expect(warnings).toEqual([
      "the ephemeral consumer was removed by the server; continuing with a new one after sequence 3",
    ]);
    // pulled from the first, then the new one; and the new one is removed on exit
    expect(server.pulls).toEqual(["eph1", "eph1", "eph2"]);
    expect(server.deletes).toEqual(["eph2"]);
    // no watch of the connection's status outlives the run: not the notes', not one per
    // consumer's ack confirmations
    await vi.waitFor(() => expect(server.statusWatches()).toBe(0));
  });

  it("replaces an ephemeral consumer whose server went silent (no responders), removing the old", async () => {
    const server = fakeServer([
      { seqs: [1, 2] },
      { ...NO_RESPONDERS, then: "silent" },
      { seqs: [3] },
    ]);
    const { listener, written, warnings } = await listenOn(server, { count: 3 });
    const result = await listener.run();
    expect(result).toMatchObject({ written: 3, reason: "count" });
    expect(written).toEqual([1, 2, 3]);
    expect(server.adds[1]).toMatchObject({ opt_start_seq: 3 });
    expect(warnings).toEqual([
      "the ephemeral consumer no longer answers (its server was lost); continuing with a new one after sequence 2",
    ]);
    expect(server.deletes).toContain("eph1");
  });

  it("ends with exit 4 when the stream of its ephemeral consumer is removed while idle, without making a new one", async () => {
    const server = fakeServer([{ seqs: [1] }, { seqs: [], then: "stream-gone" }]);
    const { listener, written } = await listenOn(server, {});
    const err = (await listener.run().catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(ExitCode.NotFound);
    expect(err.message).toBe("stream S was removed while listening");
    expect(written).toEqual([1]);
    expect(server.adds).toHaveLength(1);
  });

  it("rides out a timed-out pull of an ephemeral whose server is silent: not made again, one warning", async () => {
    const server = fakeServer([
      { seqs: [1] },
      { error: natsError("TIMEOUT"), then: "silent" },
      { seqs: [2], then: "ok" },
    ]);
    const { listener, written, warnings } = await listenOn(server, { count: 2 });
    expect(await listener.run()).toMatchObject({ written: 2, reason: "count" });
    expect(written).toEqual([1, 2]);
    expect(server.adds).toHaveLength(1);
    expect(warnings).toEqual(["pulling from S failed (TIMEOUT); retrying…"]);
  }, 10_000);

  it("never makes a durable again, even when its server is silent with no responders", async () => {
    const server = fakeServer([
      { seqs: [1] },
      { ...NO_RESPONDERS, then: "silent" },
      { seqs: [2], then: "ok" },
    ]);
    const { listener, written } = await listenOn(server, { durable: "d", count: 2 });
    expect(await listener.run()).toMatchObject({ written: 2, reason: "count", consumer: "d" });
    expect(written).toEqual([1, 2]);
    expect(server.adds).toEqual([]);
    expect(server.deletes).toEqual([]);
  }, 10_000);

  it("rides out a failed pull on a durable: one warning, then it goes on where it was", async () => {
    const server = fakeServer([{ seqs: [1] }, NO_RESPONDERS, NO_RESPONDERS, { seqs: [2, 3] }]);
    const { listener, written, warnings } = await listenOn(server, { durable: "d", count: 3 });
    const result = await listener.run();
    expect(result).toMatchObject({ written: 3, reason: "count", consumer: "d" });
    expect(written).toEqual([1, 2, 3]);
    expect(warnings).toEqual(["pulling from S failed (no responders); retrying…"]);
    // the durable was found (and resumed), never created again
    expect(server.adds).toEqual([]);
    expect(server.acked).toEqual([1, 2, 3]);
  }, 10_000);

  it("ends at once with the typed error when the server refuses the pull (permission)", async () => {
    const server = fakeServer([{ error: natsError("PERMISSIONS_VIOLATION") }]);
    const { listener, written } = await listenOn(server, { durable: "d" });
    const err = (await listener.run().catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(ExitCode.Connection);
    expect(err.message).toMatch(/^permission denied/);
    expect(written).toEqual([]);
  });

  it("writes the burst carried into a pull asked for ahead when that pull fails, before recovering", async () => {
    const full = Array.from({ length: 256 }, (_, i) => i + 1);
    const server = fakeServer([{ seqs: full }, NO_RESPONDERS, { seqs: [257] }]);
    // 1 000-byte lines: the 128 KiB burst is cut after 131, the other 125 go on into the next pull
    const { listener, written, log } = await listenOn(
      server,
      { durable: "d", count: 257 },
      " ".repeat(999),
    );
    const result = await listener.run();
    expect(result).toMatchObject({ written: 257, reason: "count" });
    expect(written).toEqual([...full, 257]);
    expect(log).toEqual([
      "wrote up to 131",
      "wrote up to 256",
      "pulling from S failed (no responders); retrying…",
      "wrote up to 257",
    ]);
  }, 10_000);

  it("through a backlog asks for the next pull before writing a pull that arrived whole", async () => {
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    const server = fakeServer([
      { seqs: range(1, 256), backlog: 10_000 },
      { seqs: range(257, 384), backlog: 10_000 },
      { seqs: range(385, 512), backlog: 10_000 },
    ]);
    const { listener, written, pullsAtWrites } = await listenOn(server, {
      durable: "d",
      count: 512,
    });
    expect(await listener.run()).toMatchObject({ written: 512, reason: "count" });
    expect(written).toEqual(range(1, 512));
    // the second pull (for the half read) and the third (for the other half) were on their
    // way before the first was written: it was never waited for with nothing asked
    expect(pullsAtWrites).toEqual([3, 3]);
  });

  it("in a pipe's slow start writes each pull by itself (1, 2, 4, 8 events), carrying nothing over", async () => {
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    const server = fakeServer([
      { seqs: range(1, 1) },
      { seqs: range(2, 3) },
      { seqs: range(4, 7) },
      { seqs: range(8, 15) },
    ]);
    const { listener, log } = await listenOn(server, { durable: "d", count: 15, slowStart: true });
    expect(await listener.run()).toMatchObject({ written: 15, reason: "count" });
    expect(log).toEqual(["wrote up to 1", "wrote up to 3", "wrote up to 7", "wrote up to 15"]);
  });
});

describe("what a listener does about its consumer, by the session's probe", () => {
  const ephemeral = { stream: "S" };
  const durable = { stream: "S", durable: "d" };
  const ended = (r: ReturnType<typeof afterFailedPull>) =>
    r.kind === "end" ? [r.error.exitCode, r.error.message] : r;

  it("after an empty pull of an ephemeral consumer", () => {
    expect(afterEmptyPull("ok", "S")).toEqual({ kind: "go-on" });
    expect(afterEmptyPull("consumer-gone", "S")).toEqual({ kind: "recreate", why: "removed" });
    expect(afterEmptyPull("silent", "S")).toEqual({ kind: "recreate", why: "silent" });
    expect(ended(afterEmptyPull("stream-gone", "S"))).toEqual([
      ExitCode.NotFound,
      "stream S was removed while listening",
    ]);
  });

  it("after a failed pull", () => {
    for (const opts of [ephemeral, durable]) {
      for (const noResponders of [false, true]) {
        expect(afterFailedPull("ok", opts, noResponders)).toEqual({ kind: "go-on" });
        expect(ended(afterFailedPull("stream-gone", opts, noResponders))).toEqual([
          ExitCode.NotFound,
          "stream S was removed while listening",
        ]);
      }
    }
    expect(afterFailedPull("consumer-gone", ephemeral, false)).toEqual({
      kind: "recreate",
      why: "removed",
    });
    expect(ended(afterFailedPull("consumer-gone", durable, false))).toEqual([
      ExitCode.NotFound,
      "durable d was removed from stream S while listening",
    ]);
    expect(afterFailedPull("silent", ephemeral, true)).toEqual({ kind: "recreate", why: "silent" });
    expect(afterFailedPull("silent", ephemeral, false)).toEqual({ kind: "go-on" });
    expect(afterFailedPull("silent", durable, true)).toEqual({ kind: "go-on" });
  });
});
