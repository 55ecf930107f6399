// listen's pulled messages (src/nats/pulled.ts): the delivery facts read from the ack
// subject in both of its forms, as nats.js's JsMsg reads them, and what is not one.

import type { Msg, NatsConnection } from "nats";
import { describe, expect, it } from "vitest";
import { PulledMessage } from "../../src/nats/pulled.js";

const naks: string[] = [];
const nc = { publish: (subject: string) => naks.push(subject) } as unknown as NatsConnection;
const pulled = (reply: string | undefined) =>
  PulledMessage.from({ subject: "S.tweet_liked", reply, data: new Uint8Array() } as Msg, nc);

describe("a pulled message", () => {
  it("reads the old form of the ack subject", () => {
    const m = pulled("$JS.ACK.TWEETS.worker.3.1042.977.1641592800123456789.15");
    expect(m?.info).toMatchObject({
      stream: "TWEETS",
      consumer: "worker",
      deliveryCount: 3,
      redelivered: true,
      streamSequence: 1042,
      deliverySequence: 977,
      timestampNanos: 1641592800123456789,
      pending: 15,
    });
    expect(m?.seq).toBe(1042);
    expect(m?.subject).toBe("S.tweet_liked");
  });

  it("reads the form with a domain and an account hash, with or without its last token", () => {
    for (const tail of [".x7k2", ""]) {
      const m = pulled(`$JS.ACK.hub.AHASH.TWEETS.w.1.7.8.1641592800000000000.0${tail}`);
      expect(m?.info).toMatchObject({
        stream: "TWEETS",
        consumer: "w",
        deliveryCount: 1,
        redelivered: false,
        streamSequence: 7,
        deliverySequence: 8,
        pending: 0,
      });
    }
  });

  it("names each message's own stream and consumer when they change between messages", () => {
    expect(pulled("$JS.ACK.A.c1.1.1.1.1.0")?.info).toMatchObject({ stream: "A", consumer: "c1" });
    expect(pulled("$JS.ACK.A.c2.1.2.1.1.0")?.info).toMatchObject({ stream: "A", consumer: "c2" });
    expect(pulled("$JS.ACK.AB.c.1.3.1.1.0")?.info).toMatchObject({ stream: "AB", consumer: "c" });
    expect(pulled("$JS.ACK.A.c2.1.4.1.1.0")?.info).toMatchObject({ stream: "A", consumer: "c2" });
  });

  it("is no pulled message without an ack subject", () => {
    expect(pulled(undefined)).toBeNull();
    expect(pulled("_INBOX.abc.1")).toBeNull();
    expect(pulled("$JS.ACK.S.C.1.2.3")).toBeNull();
  });

  it("is handed back with a nak to its ack subject", () => {
    pulled("$JS.ACK.S.C.1.5.5.1.0")?.nak();
    expect(naks).toEqual(["$JS.ACK.S.C.1.5.5.1.0"]);
  });
});
