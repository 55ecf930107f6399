// `consumer ls|info|rm|next` against a real server: the API's ConsumerInfo under --json,
// natscli's columns, rm's --force discipline, next's confirmed acks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst } from "../helpers/cli.js";
import { publishEvents, withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.stop());

const { ts, newStream } = cliAgainst(() => server.url);

/** A stream with `events` events and a durable pull consumer `name` created by listen. */
async function streamWithDurable(events: number, name = "worker", take = 1): Promise<string> {
  const stream = await newStream([], "C");
  await publishEvents(server.url, stream, events);
  const l = await ts(["listen", "--stream", stream, "--durable", name, "--count", String(take)]);
  expect(l.code).toBe(0);
  return stream;
}

describe("consumer ls", () => {
  it("lists ConsumerInfo (--json), names (--names) and natscli's columns", async () => {
    const stream = await streamWithDurable(3);
    const j = await ts(["consumer", "ls", stream, "--json"]);
    expect(j.code).toBe(0);
    const list = j.json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      stream_name: stream,
      name: "worker",
      config: { durable_name: "worker", ack_policy: "explicit" },
      num_pending: 2,
      num_ack_pending: 0,
      delivered: { stream_seq: 1 },
    });
    expect(list[0]).not.toHaveProperty("type");
    expect((await ts(["consumer", "ls", stream, "--names"])).stdout).toBe("worker\n");
    expect((await ts(["consumer", "ls", stream, "--names", "--json"])).json()).toEqual(["worker"]);
    const human = await ts(["consumer", "ls", "--stream", stream]);
    expect(human.code).toBe(0);
    for (const col of [
      "Name",
      "Description",
      "Created",
      "Ack Pending",
      "Unprocessed",
      "Last Delivery",
    ])
      expect(human.stdout).toContain(col);
    expect(human.stdout).toMatch(/worker .*│ +0 │ +2 │/);
  });

  it("no consumers: a note, [] in JSON; an unknown stream is exit 4", async () => {
    const stream = await newStream([], "C");
    expect((await ts(["consumer", "ls", stream])).stdout).toMatch(/No consumers defined/);
    expect((await ts(["consumer", "ls", stream, "--json"])).json()).toEqual([]);
    const missing = await ts(["consumer", "ls", "NOPE_" + stream]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/stream NOPE_.* not found/);
  });
});

describe("consumer info", () => {
  it("prints the ConsumerInfo; not found is 4; a missing name is 2 naming the consumers", async () => {
    const stream = await streamWithDurable(2);
    const r = await ts(["consumer", "info", stream, "worker", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ name: "worker", stream_name: stream, num_pending: 1 });
    expect(r.json().config.ack_wait).toBe(30_000_000_000);
    const human = await ts(["consumer", "info", stream, "worker"]);
    expect(human.stdout).toMatch(/Information for consumer .* > worker/);
    expect(human.stdout).toMatch(/Unprocessed Messages: 1/);
    const nf = await ts(["consumer", "info", stream, "nobody"]);
    expect(nf.code).toBe(4);
    expect(nf.stderr).toMatch(/consumer nobody .*not found/);
    const noName = await ts(["consumer", "info", stream]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/its consumers: worker/);
  });
});

describe("consumer rm", () => {
  it("refuses without a terminal unless --force (exit 2); --force deletes", async () => {
    const stream = await streamWithDurable(1);
    const refused = await ts(["consumer", "rm", stream, "worker"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/without a terminal.*--force/);
    expect((await ts(["consumer", "info", stream, "worker"])).code).toBe(0);
    const rm = await ts(["consumer", "rm", stream, "worker", "--force", "--json"]);
    expect(rm.code).toBe(0);
    expect(rm.json()).toEqual({ stream, consumer: "worker", deleted: true });
    expect((await ts(["consumer", "info", stream, "worker"])).code).toBe(4);
    expect((await ts(["consumer", "rm", stream, "worker", "--force"])).code).toBe(4);
    // the stream's messages stay
    expect((await ts(["stream", "info", stream, "--json"])).json().state.messages).toBe(1);
  });
});

describe("consumer next", () => {
  it("prints the next messages and acknowledges them (confirmed by the server)", async () => {
    const stream = await streamWithDurable(4);
    const r = await ts(["consumer", "next", stream, "worker", "--count", "2", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.lines().map((l) => l.seq)).toEqual([2, 3]);
    expect(r.lines()[0]).toMatchObject({ consumer: "worker", delivered: 1 });
    const info = (await ts(["consumer", "info", stream, "worker", "--json"])).json();
    expect(info.num_ack_pending).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(3);
    // --no-ack leaves it pending
    const noAck = await ts(["consumer", "next", stream, "worker", "--no-ack", "--json"]);
    expect(noAck.lines().map((l) => l.seq)).toEqual([4]);
    expect(
      (await ts(["consumer", "info", stream, "worker", "--json"])).json().num_ack_pending,
    ).toBe(1);
  });

  it("nothing to take within --timeout is exit 6; a push consumer is exit 5", async () => {
    const stream = await streamWithDurable(1);
    const started = Date.now();
    const empty = await ts(["consumer", "next", stream, "worker", "--timeout", "1s"]);
    expect(empty.code).toBe(6);
    expect(empty.stderr).toMatch(/0 of 1 message within 1s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await withConnection(server.url, async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.add(stream, {
        durable_name: "pushy",
        deliver_subject: "deliver.pushy",
        ack_policy: "explicit" as never,
      });
    });
    const push = await ts(["consumer", "next", stream, "pushy"]);
    expect(push.code).toBe(5);
    expect(push.stderr).toMatch(/push consumer/);
  });
});
