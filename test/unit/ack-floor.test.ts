// listen's ack ledger with an in-memory fake of the consumer's side: a consumer leader whose
// ack floor goes back below what this run saw confirmed (an isolated leader's acks lost) is
// named in a warning with the sequences that may be delivered again.

import type { ConsumerInfo, JetStreamManager, NatsConnection } from "nats";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAckLedger, type AckableMessage } from "../../src/nats/acks.js";
import { acknowledged } from "./fakes/ledger.js";

function fakeServer(initial: { leader: string; floor: number }) {
  let state = { ...initial };
  const consumerInfo = () =>
    ({
      cluster: { name: "C", leader: state.leader },
      ack_floor: { stream_seq: state.floor, consumer_seq: state.floor },
    }) as unknown as ConsumerInfo;
  const nc = {
    publish: () => undefined,
  } as unknown as NatsConnection;
  const confirmations = { request: () => Promise.resolve(), close: () => undefined };
  const jsm = {
    consumers: { info: () => Promise.resolve(consumerInfo()) },
  } as unknown as JetStreamManager;
  return {
    nc,
    jsm,
    confirmations,
    consumerInfo,
    set(next: { leader: string; floor: number }) {
      state = { ...next };
    },
  };
}

const msg = (seq: number) =>
  ({
    info: { streamSequence: seq, redelivered: false },
    reply: `$JS.ACK.S.D.1.${seq}`,
  }) as AckableMessage;

/** listen's ledger over the fake, with the warnings it gave */
function ledgerOn(server: ReturnType<typeof fakeServer>) {
  const warnings: string[] = [];
  const ledger = createAckLedger(server.nc, server.jsm, {
    stream: "S",
    consumer: () => "D",
    confirmations: server.confirmations,
    budgetMs: 1000,
    initial: server.consumerInfo(),
    warn: (t) => warnings.push(t),
  });
  return { ledger, warnings };
}

let now = 1_000_000;
afterEach(() => vi.restoreAllMocks());

describe("listen's ack floor", () => {
  it("warns, naming the sequences, when the floor goes back below what was confirmed", async () => {
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const server = fakeServer({ leader: "n1", floor: 0 });
    const { ledger, warnings } = ledgerOn(server);
    await acknowledged(ledger, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(msg));
    server.set({ leader: "n1", floor: 10 });
    now += 3_000;
    await acknowledged(ledger, [msg(11)]);
    server.set({ leader: "n1", floor: 11 });
    now += 3_000;
    await acknowledged(ledger, [msg(12)]);
    expect(warnings).toEqual([]);
    // the old leader was cut off: the new one never recorded acks above 3
    server.set({ leader: "n2", floor: 3 });
    expect(await ledger.settle()).toBe(0);
    expect(
      warnings.some((w) =>
        /went back from 11 to 3 \(leader n1 → n2\): stream sequences 4–11/.test(w),
      ),
    ).toBe(true);
  });

  it("says nothing while the floor only moves on", async () => {
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const server = fakeServer({ leader: "n1", floor: 0 });
    const { ledger, warnings } = ledgerOn(server);
    await acknowledged(ledger, [1, 2, 3].map(msg));
    server.set({ leader: "n2", floor: 3 });
    now += 3_000;
    await acknowledged(ledger, [msg(4)]);
    server.set({ leader: "n2", floor: 4 });
    expect(await ledger.settle()).toBe(0);
    expect(warnings.filter((w) => /went back/.test(w))).toEqual([]);
  });
});
