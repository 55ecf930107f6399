// natscli's words mean the same here (issue 17 items 1–6 and 8, issue 18 item 8): durations
// with natscli's case-sensitive units, --force that needs a name, natscli's spellings and
// aliases, info rows, stream edit --dry-run, consumer add|edit, errors with their codes.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, uniqueStream } from "../helpers/cli.js";
import { publishEvents, withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
const ts = (args: string[], opts: Parameters<typeof runCli>[1] = {}) =>
  runCli(args, { ...opts, env: { NATS_URL: server.url, ...opts.env } });

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

async function newStream(extra: string[] = []): Promise<string> {
  const name = uniqueStream("W");
  const r = await ts(["stream", "add", name, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return name;
}

async function addPullConsumer(stream: string, name: string): Promise<void> {
  await withConnection(server.url, async (nc) => {
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(stream, { durable_name: name, ack_policy: "explicit" as never });
  });
}

const SECOND_NS = 1_000_000_000;
const DAY_NS = 86_400 * SECOND_NS;

describe("durations as natscli reads them (17.1)", () => {
  it("M is months and m minutes; -1 is unlimited", async () => {
    const months = await newStream(["--max-age", "1M", "--json"]);
    const info = (await ts(["stream", "info", months, "--json"])).json();
    expect(info.config.max_age).toBe(30 * DAY_NS);
    const minutes = await newStream(["--max-age", "1m"]);
    expect((await ts(["stream", "info", minutes, "--json"])).json().config.max_age).toBe(
      60 * SECOND_NS,
    );
    const unlimited = await newStream([
      ...["--max-age", "-1", "--max-msgs", "-1", "--max-bytes", "-1"],
      ...["--max-msgs-per-subject", "-1", "--max-msg-size", "-1"],
    ]);
    const config = (await ts(["stream", "info", unlimited, "--json"])).json().config;
    expect(config.max_age).toBe(0);
    expect([config.max_msgs, config.max_bytes, config.max_msgs_per_subject]).toEqual([-1, -1, -1]);
    expect(config.max_msg_size).toBe(-1);
  });

  it.each([
    [["--timeout", "30", "stream", "ls"], /--timeout "30": .*did you mean 30s\?/],
    [["stream", "add", "X", "--max-age", "7"], /--max-age "7": .*did you mean 7s\?/],
    [["view", "--since", "10"], /--since "10": .*did you mean 10s\?/],
    [["listen", "--timeout", "5"], /--timeout "5": .*did you mean 5s\?/],
    [["serve", "--grace", "3"], /--grace "3": .*did you mean 3s\?/],
    [["stream", "add", "X", "--max-age", "1H"], /case-sensitive/],
  ])("%j is exit 2 with a hint, nothing created", async (args, message) => {
    const r = await ts(args as string[]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect((await ts(["stream", "info", "X"])).code).toBe(4);
  });
});

describe("--force needs the name (17.2)", () => {
  it("stream rm|purge --force without a name: exit 2, nothing touched", async () => {
    const stream = await newStream();
    await publishEvents(server.url, stream, 3);
    const env = { TWEETSTREAM_STREAM: stream };
    for (const args of [
      ["stream", "rm", "--force"],
      ["stream", "purge", "--force"],
      ["stream", "purge", "--subject", "tweet_created", "--force"],
    ]) {
      const r = await ts(args, { env });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/--force requires a stream name/);
    }
    const info = (await ts(["stream", "info", stream, "--json"])).json();
    expect(info.state.messages).toBe(3);
  });

  it("consumer rm --force without both names: exit 2, the consumer stays", async () => {
    const stream = await newStream();
    await addPullConsumer(stream, "keep");
    const env = { TWEETSTREAM_STREAM: stream };
    const r = await ts(["consumer", "rm", "--force"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--force requires a stream and consumer name/);
    expect((await ts(["consumer", "info", stream, "keep"])).code).toBe(0);
  });
});
