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

describe("natscli's spellings (17.3)", () => {
  it("stream add --defaults, --storage m, --retention work, --subjects space-separated, the new flags", async () => {
    const name = uniqueStream("W");
    const r = await ts([
      ...["s", "add", name, "--defaults", "--storage", "m", "--retention", "work"],
      ...["--subjects", `${name}.a ${name}.b`, "--subjects", `${name}.c,${name}.d`],
      ...["--deny-delete", "--allow-rollup", "--allow-direct", "--max-consumers", "3", "-j"],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const config = r.json().config;
    expect(config.storage).toBe("memory");
    expect(config.retention).toBe("workqueue");
    expect(config.subjects).toEqual(["a", "b", "c", "d"].map((s) => `${name}.${s}`));
    expect(config.deny_delete).toBe(true);
    expect(config.deny_purge).toBe(false);
    expect(config.allow_rollup_hdrs).toBe(true);
    expect(config.allow_direct).toBe(true);
    expect(config.max_consumers).toBe(3);
  });

  it("storage f and retention workq/limits/interest; allow_direct stays off by default", async () => {
    for (const [retention, stored] of [
      ["workq", "workqueue"],
      ["workqueue", "workqueue"],
      ["interest", "interest"],
      ["limits", "limits"],
    ]) {
      const name = uniqueStream("W");
      const r = await ts([
        "st",
        "add",
        name,
        "--storage",
        "f",
        "--retention",
        retention!,
        "--json",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().config.retention).toBe(stored);
      expect(r.json().config.storage).toBe("file");
      expect(r.json().config.allow_direct ?? false).toBe(false);
    }
    const bad = await ts(["stream", "add", "X", "--retention", "forever"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --retention "forever": use one of limits, interest/);
  });

  it("edit turns a flag off with --no-allow-rollup", async () => {
    const name = await newStream(["--allow-rollup"]);
    const r = await ts(["str", "edit", name, "--no-allow-rollup", "--force", "-j"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().config.allow_rollup_hdrs).toBe(false);
  });

  it("command aliases: str st ms s, con obs c, ctx; -j is --json", async () => {
    const name = await newStream();
    await addPullConsumer(name, "w1");
    for (const alias of ["stream", "str", "st", "ms", "s"]) {
      const r = await ts([alias, "info", name, "-j"]);
      expect(r.code, `${alias}: ${r.stderr}`).toBe(0);
      expect(r.json().config.name).toBe(name);
    }
    for (const alias of ["consumer", "con", "obs", "c"]) {
      const r = await ts([alias, "info", name, "w1", "-j"]);
      expect(r.code, `${alias}: ${r.stderr}`).toBe(0);
      expect(r.json().name).toBe("w1");
    }
    const ctx = await ts(["ctx", "ls", "-j"]);
    expect(ctx.code, ctx.stderr).toBe(0);
    expect(ctx.json()).toEqual([]);
  });
});

describe("errors speak natscli's language (17.8, 18.8)", () => {
  it("JetStream errors keep their code: stream NOPE not found (10059)", async () => {
    for (const args of [
      ["stream", "info", "NOPE"],
      ["stream", "rm", "NOPE", "--force"],
      ["view", "NOPE"],
      ["consumer", "ls", "NOPE"],
    ]) {
      const r = await ts(args);
      expect(r.code, args.join(" ")).toBe(4);
      expect(r.stderr.trim(), args.join(" ")).toBe("error: stream NOPE not found (10059)");
    }
    const stream = await newStream();
    const r = await ts(["consumer", "info", stream, "nobody"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/consumer nobody on stream \S+ not found \(10014\)$/m);
  });

  it.each(["a.b", "a b", "*", ">", "a/b"])(
    "consumer info|rm|next S %j is a usage error (exit 2)",
    async (bad) => {
      const stream = await newStream();
      for (const cmd of ["info", "rm", "next"]) {
        const r = await ts(
          ["consumer", cmd, stream, bad, "--force"].slice(0, cmd === "rm" ? 5 : 4),
        );
        expect(r.code, `${cmd}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/invalid consumer name/);
      }
    },
  );
});

describe("stream edit for people and for CI (17.5)", () => {
  it("--dry-run: exit 1 with the differences and what they remove, 0 when none", async () => {
    const stream = await newStream();
    await publishEvents(server.url, stream, 6, { type: "tweet_created" });
    await publishEvents(server.url, stream, 2, { type: "tweet_liked", from: 6 });
    const dry = await ts(["stream", "edit", stream, "--max-msgs", "5", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(1);
    expect(dry.stdout).toMatch(/max messages: unlimited → 5 \(removes 3 stored messages\)/);
    expect(dry.stderr).toBe("");
    const json = await ts([
      ...["stream", "edit", stream, "--max-msgs-per-subject", "4"],
      ...["--subjects", `${stream}.tweet_created`, "--dry-run", "--json"],
    ]);
    expect(json.code).toBe(1);
    const changes = json.json().changes;
    expect(json.json()).toMatchObject({ stream, differs: true });
    expect(changes).toContainEqual(
      expect.objectContaining({ field: "max_msgs_per_subject", from: -1, to: 4, removes: 2 }),
    );
    expect(changes).toContainEqual(expect.objectContaining({ field: "subjects", orphaned: 2 }));
    // nothing was changed by either
    const info = (await ts(["stream", "info", stream, "--json"])).json();
    expect(info.state.messages).toBe(8);
    expect(info.config.max_msgs).toBe(-1);
    const same = await ts(["stream", "edit", stream, "--max-msgs", "-1", "--dry-run", "--json"]);
    expect(same.code).toBe(0);
    expect(same.json()).toEqual({ stream, differs: false, changes: [] });
  });

  it("no change requested: 'no difference', exit 0; --json of an edit counts what it removed", async () => {
    const stream = await newStream();
    await publishEvents(server.url, stream, 4);
    const none = await ts(["stream", "edit", stream]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/no difference/);
    const r = await ts(["stream", "edit", stream, "--max-msgs", "1", "--force", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().changes).toEqual([{ field: "max_msgs", from: -1, to: 1, removes: 3 }]);
    expect(r.json().config.max_msgs).toBe(1);
    const after = (await ts(["stream", "info", stream, "--json"])).json();
    expect(after.state.messages).toBe(1);
  });

  it("after a subject change, publishing advises an edit of the stream, not stream add", async () => {
    const stream = await newStream();
    const edit = await ts(["stream", "edit", stream, "--subjects", `${stream}.tweet_liked`, "-f"]);
    expect(edit.code, edit.stderr).toBe(0);
    const r = await ts(["tweet", "hello", "--stream", stream]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(`stream ${stream} does not take subject ${stream}.tweet_created`),
    );
    expect(r.stderr).toMatch(/tweetstream stream edit/);
    expect(r.stderr).not.toMatch(/stream add/);
  });
});
