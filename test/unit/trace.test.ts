import { afterEach, describe, expect, it, vi } from "vitest";
import type { NatsConnection } from "nats";
import { tracedConnection } from "../../src/nats/trace.js";

/** A stand-in connection: its request publishes through `this`, as nats.js's does. */
class FakeConnection {
  published: string[] = [];
  getServer() {
    return "127.0.0.1:4222";
  }
  publish(subject: string, _data?: Uint8Array | string) {
    this.published.push(subject);
  }
  async request(subject: string, data?: Uint8Array | string) {
    this.publish(subject, data);
    if (subject.endsWith("GONE")) throw new Error("no responders");
    return { data: new TextEncoder().encode(`{"ok":"${subject}"}`) };
  }
}

function traced() {
  const fake = new FakeConnection();
  const lines: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const nc = tracedConnection(fake as unknown as NatsConnection, "nats://127.0.0.1:4222");
  return { fake, nc, text: () => lines.join("") };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("--trace: a wrapper of the connection", () => {
  it("shows an API request once (not its inner publish again) and its reply", async () => {
    const { fake, nc, text } = traced();
    await nc.request("$JS.API.STREAM.INFO.S", '{"a":1}');
    expect(text()).toBe(
      "--- connected to 127.0.0.1:4222 (servers: nats://127.0.0.1:4222)\n" +
        '>>> $JS.API.STREAM.INFO.S\n{"a":1}\n' +
        '<<< $JS.API.STREAM.INFO.S\n{"ok":"$JS.API.STREAM.INFO.S"}\n',
    );
    expect(fake.published).toEqual(["$JS.API.STREAM.INFO.S"]);
  });

  it("shows a pull (an API publish) and a failed request; leaves other subjects out", async () => {
    const { nc, text } = traced();
    nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.C", '{"batch":1}');
    nc.publish("S.tweet_created", "{}");
    await expect(nc.request("$JS.API.GONE")).rejects.toThrow("no responders");
    expect(text()).toContain('>>> $JS.API.CONSUMER.MSG.NEXT.S.C\n{"batch":1}\n');
    expect(text()).toContain("<<< $JS.API.GONE\n(no reply: no responders)\n");
    expect(text()).not.toContain("tweet_created");
  });

  it("leaves the connection itself as it was", () => {
    const { fake, nc } = traced();
    expect(Object.hasOwn(fake, "request")).toBe(false);
    expect(Object.hasOwn(fake, "publish")).toBe(false);
    expect(nc.request).not.toBe(FakeConnection.prototype.request);
    expect(nc.getServer()).toBe("127.0.0.1:4222");
  });
});
