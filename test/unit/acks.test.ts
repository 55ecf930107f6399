// listen's ack ledger (src/nats/acks.ts) with an in-memory fake of the server's side: the
// acks it sends (plain, and one request per burst that confirms it), what it refuses to
// print twice, what it re-sends and when, and what the end of a run reports.
// (The ack floor going back under a new leader: ack-floor.test.ts.)

import type { ConsumerInfo, JetStreamManager, NatsConnection } from "nats";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CliError, ExitCode } from "../../src/errors.js";
import { createAckLedger, type AckableMessage } from "../../src/nats/acks.js";
import type { Confirmations } from "../../src/nats/listen-confirmations.js";
import { acknowledged } from "./fakes/ledger.js";

type Answer = "ok" | "timeout" | "denied" | "hold";

/** The consumer's side: a leader and an ack floor; each ack request answered as `answer` says. */
function fakeServer() {
  const state = { leader: "n1", floor: 0, answer: "ok" as Answer };
  /** every ack sent, in order: its stream sequence and whether it asked for an answer */
  const sent: Array<{ seq: number; request: boolean }> = [];
  const held: Array<() => void> = [];
  const seqOf = (subject: string) => Number(subject.split(".").pop());
  const consumerInfo = () =>
    ({
      cluster: { name: "C", leader: state.leader },
      ack_floor: { stream_seq: state.floor, consumer_seq: state.floor },
    }) as unknown as ConsumerInfo;
  const nc = {
    publish: (subject: string) => sent.push({ seq: seqOf(subject), request: false }),
  } as unknown as NatsConnection;
  /** the burst's last ack, sent as a request on the run's inbox, answered as `answer` says */
  const confirmations: Confirmations = {
    close: () => undefined,
    request: (subject: string) => {
      sent.push({ seq: seqOf(subject), request: true });
      switch (state.answer) {
        case "ok":
          return Promise.resolve();
        case "timeout":
          return Promise.reject(Object.assign(new Error("TIMEOUT"), { code: "TIMEOUT" }));
        case "denied":
          return Promise.reject(
            Object.assign(new Error("Permissions Violation"), { code: "PERMISSIONS_VIOLATION" }),
          );
        case "hold":
          return new Promise((resolve) => held.push(() => resolve()));
      }
    },
  };
  const jsm = {
    consumers: { info: () => Promise.resolve(consumerInfo()) },
  } as unknown as JetStreamManager;
  return { nc, jsm, confirmations, state, sent, held, consumerInfo };
}

const msg = (seq: number, redelivered = false) =>
  ({
    info: { streamSequence: seq, redelivered },
    reply: `$JS.ACK.S.D.1.${seq}.${seq}.0.${seq}`,
  }) as AckableMessage;
const msgs = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));

let now = 1_000_000;
/** the ledger over the fake, on a clock the test moves (the ledger checks the consumer every 2 s) */
function ledgerOn(server: ReturnType<typeof fakeServer>, budgetMs = 600) {
  vi.spyOn(Date, "now").mockImplementation(() => now);
  const warnings: string[] = [];
  const ledger = createAckLedger(server.nc, server.jsm, {
    stream: "S",
    consumer: () => "D",
    confirmations: server.confirmations,
    budgetMs,
    initial: server.consumerInfo(),
    warn: (t) => warnings.push(t),
  });
  return { ledger, warnings };
}

afterEach(() => vi.restoreAllMocks());

describe("listen's ack ledger", () => {
  it("acks a burst with plain acks and confirms it with one request, the last", async () => {
    const server = fakeServer();
    const { ledger } = ledgerOn(server);
    await acknowledged(ledger, msgs(1, 4));
    expect(server.sent).toEqual([
      { seq: 1, request: false },
      { seq: 2, request: false },
      { seq: 3, request: false },
      { seq: 4, request: true },
    ]);
    expect(await ledger.settle()).toBe(0);
  });

  it("tells a redelivery of what this run wrote, or of what is at or below the ack floor, from a new message", async () => {
    const server = fakeServer();
    server.state.floor = 10;
    const { ledger } = ledgerOn(server);
    await acknowledged(ledger, msgs(11, 12));
    expect(ledger.alreadyWritten(msg(12, true))).toBe(true); // written in this run
    expect(ledger.alreadyWritten(msg(9, true))).toBe(true); // processed before this run
    expect(ledger.alreadyWritten(msg(13))).toBe(false);
    // a first delivery below the floor is new (a durable's deliver policy can start there)
    expect(ledger.alreadyWritten(msg(9))).toBe(false);
    server.sent.length = 0;
    ledger.ackAgain(msg(12, true));
    expect(server.sent).toEqual([{ seq: 12, request: true }]);
  });

  it("remembers what was written out of stream order (a redelivery after the ack wait) among the rest", async () => {
    const server = fakeServer();
    const { ledger } = ledgerOn(server);
    await acknowledged(ledger, msgs(5, 8));
    await acknowledged(ledger, [msg(2), msg(10)]);
    await acknowledged(ledger, [msg(9)]);
    for (const seq of [2, 5, 6, 7, 8, 9, 10]) expect(ledger.alreadyWritten(msg(seq))).toBe(true);
    for (const seq of [1, 3, 4, 11]) expect(ledger.alreadyWritten(msg(seq))).toBe(false);
    // the floor passes 6 under the same leader for a whole check: 2, 5 and 6 are forgotten
    server.state.floor = 6;
    now += 2_500;
    await acknowledged(ledger, [msg(11)]);
    now += 2_500;
    await acknowledged(ledger, [msg(12)]);
    for (const seq of [2, 5, 6]) expect(ledger.alreadyWritten(msg(seq))).toBe(false);
    for (const seq of [7, 8, 9, 10, 11, 12]) expect(ledger.alreadyWritten(msg(seq))).toBe(true);
    // a leader change re-sends what is above its floor, in order
    server.state.leader = "n2";
    server.sent.length = 0;
    now += 2_500;
    await acknowledged(ledger, [msg(13)]);
    expect(server.sent.slice(1).map((a) => a.seq)).toEqual([7, 8, 9, 10, 11, 12, 13]);
  });

  it("forgets what the floor passed under the same leader for a whole check, not before", async () => {
    const server = fakeServer();
    const { ledger } = ledgerOn(server);
    await acknowledged(ledger, msgs(1, 3));
    server.state.floor = 3;
    now += 2_500;
    await acknowledged(ledger, [msg(4)]); // a check: floor 3 seen, nothing forgotten yet
    expect(ledger.alreadyWritten(msg(2))).toBe(true);
    now += 2_500;
    await acknowledged(ledger, [msg(5)]); // floor 3 still there under n1: 1–3 are forgotten
    expect(ledger.alreadyWritten(msg(2))).toBe(false);
    expect(ledger.alreadyWritten(msg(4))).toBe(true);
  });

  it("never makes the writer wait for its check of the consumer (a round trip)", async () => {
    const server = fakeServer();
    const { ledger } = ledgerOn(server);
    let asked = 0;
    // the consumer's info never answered
    server.jsm.consumers.info = () => {
      asked++;
      return new Promise<ConsumerInfo>(() => undefined);
    };
    await ledger.acknowledge(msgs(1, 3));
    now += 2_500;
    await ledger.acknowledge([msg(4)]);
    await ledger.acknowledge([msg(5)]);
    expect(asked).toBe(1);
    expect(server.sent.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("acks again everything above the new leader's floor after a consumer leader change", async () => {
    const server = fakeServer();
    const { ledger, warnings } = ledgerOn(server);
    await acknowledged(ledger, msgs(1, 5));
    server.state.leader = "n2";
    server.state.floor = 2;
    server.sent.length = 0;
    now += 2_500;
    await acknowledged(ledger, [msg(6)]);
    // 6 as written; then 3, 4, 5 and 6 again (above floor 2), the last of them a request
    expect(server.sent.slice(1)).toEqual([
      { seq: 3, request: false },
      { seq: 4, request: false },
      { seq: 5, request: false },
      { seq: 6, request: true },
    ]);
    expect(warnings).toEqual([
      "consumer leader changed (n1 → n2): acknowledging 4 written events again",
    ]);
  });

  it("at the end re-sends acks nobody confirmed, and reports 0 once the server answers", async () => {
    const server = fakeServer();
    server.state.answer = "timeout";
    const { ledger } = ledgerOn(server, 60_000);
    await acknowledged(ledger, msgs(1, 3));
    server.state.answer = "ok";
    server.sent.length = 0;
    expect(await ledger.settle()).toBe(0);
    expect(server.sent).toEqual([
      { seq: 1, request: false },
      { seq: 2, request: false },
      { seq: 3, request: true },
    ]);
  });

  it("counts as unconfirmed what no leader answered within the budget", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      const server = fakeServer();
      server.state.answer = "timeout";
      const { ledger } = ledgerOn(server, 1_000);
      await acknowledged(ledger, msgs(1, 3));
      const settled = ledger.settle();
      // each retry waits 250 ms: move both clocks until the budget has run out
      for (let i = 0; i < 10; i++) {
        now += 250;
        await vi.advanceTimersByTimeAsync(250);
      }
      expect(await settled).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops the run with exit 3 when the server refuses acks, naming the acks refused so far", async () => {
    const server = fakeServer();
    server.state.answer = "denied";
    const { ledger } = ledgerOn(server);
    await acknowledged(ledger, msgs(1, 2));
    now += 2_500; // the next check reports the refusal
    const err = (await ledger.acknowledge(msgs(3, 4)).catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(ExitCode.Connection);
    expect(err.message).toMatch(/^permission denied: acknowledgements on stream S are refused/);
    // 1 and 2 refused; 3 and 4 were still on their way (the server refuses them too)
    expect(err.message).toMatch(
      /; 2 written events were not acknowledged and will be delivered again$/,
    );
  });

  it("makes the writer wait when more than 64 bursts are unanswered, until one is", async () => {
    const server = fakeServer();
    server.state.answer = "hold";
    const { ledger } = ledgerOn(server);
    for (let i = 1; i <= 64; i++) await ledger.acknowledge([msg(i)]);
    let waited = true;
    const next = ledger.acknowledge([msg(65)]).then(() => (waited = false));
    await new Promise((r) => setImmediate(r));
    expect(waited).toBe(true);
    server.held.shift()!(); // one answer: room again
    await next;
    expect(waited).toBe(false);
    for (const answer of server.held.splice(0)) answer();
    expect(await ledger.settle()).toBe(0);
  });
});
