// natscli's words mean the same here (issue 17 items 1–6 and 8, issue 18 item 8): durations
// with natscli's case-sensitive units, --force that needs a name, natscli's spellings and
// aliases, info rows, stream edit --dry-run, consumer add|edit, errors with their codes.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, uniqueStream, waitFor } from "../helpers/cli.js";
import { publishEvents, withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
const { ts, newStream: addStream } = cliAgainst(() => server.url);
/** A fresh stream <name>.* for one test. */
const newStream = (extra: string[] = []) => addStream(extra, "W");

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

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
    expect((await ts(["s", "ls", "-n", "-j"])).json()).toContain(name);
    expect((await ts(["c", "ls", name, "-n", "-j"])).json()).toEqual(["w1"]);
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
    const storage = await ts(["stream", "edit", stream, "--storage", "memory", "--force"]);
    expect(storage.code).toBe(5);
    expect(storage.stderr).toMatch(/will not change stream .*\(100\d\d\)$/m);
    const other = await newStream();
    const overlap = await ts(["stream", "edit", other, "--subjects", `${stream}.x`, "--force"]);
    expect(overlap.code).toBe(5);
    expect(overlap.stderr).toMatch(/overlap with stream .*\(10065\)$/m);
    const invalid = await ts(["stream", "add", uniqueStream("W"), "--replicas", "3"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/\(100\d\d\)$/m);
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

describe("info shows what changes what a user may do (17.4)", () => {
  const widest = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length));

  it("stream info: Direct Get, Allows …, Maximum Consumers, Deleted Messages, Number of Subjects", async () => {
    const stream = await newStream(["--deny-delete", "--allow-direct", "--max-consumers", "7"]);
    await publishEvents(server.url, stream, 3, { type: "tweet_created" });
    const r = await ts(["stream", "info", stream]);
    expect(r.code, r.stderr).toBe(0);
    for (const row of [
      /^ +Direct Get: yes$/m,
      /^ +Allows Msg Delete: no$/m,
      /^ +Allows Purge: yes$/m,
      /^ +Allows Rollups: no$/m,
      /^ +Maximum Consumers: 7$/m,
      /^ +Number of Subjects: 1$/m,
    ])
      expect(r.stdout).toMatch(row);
    expect(r.stdout).not.toMatch(/Sealed|Deleted Messages|Mirror Information/);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);

    const other = await newStream();
    await publishEvents(server.url, other, 3);
    await withConnection(server.url, async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.deleteMessage(other, 2);
      await jsm.streams.add({ name: `${other}_M`, mirror: { name: other } });
      await jsm.streams.add({ name: `${other}_S`, subjects: [], sources: [{ name: other }] });
    });
    const deleted = await ts(["stream", "info", other]);
    expect(deleted.stdout).toMatch(/^ +Deleted Messages: 1$/m);
    const mirror = await ts(["stream", "info", `${other}_M`]);
    expect(mirror.code, mirror.stderr).toBe(0);
    expect(mirror.stdout).toMatch(new RegExp(`Mirror Information:\\n +Stream Name: ${other}\\n`));
    expect(mirror.stdout).toMatch(/^ +Lag: /m);
    const source = await ts(["stream", "info", `${other}_S`]);
    expect(source.stdout).toMatch(new RegExp(`Source Information:\\n +Stream Name: ${other}\\n`));
    expect(widest(mirror.stdout + "\n" + source.stdout)).toBeLessThanOrEqual(80);
  });

  it("a long value continues under itself: every line within 80 columns, nothing cut", async () => {
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`);
    const name = await newStream(["--description", words.join(" ")]);
    const r = await ts(["stream", "info", name]);
    expect(r.code, r.stderr).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
    const description = r.stdout.slice(
      r.stdout.indexOf("Description:"),
      r.stdout.indexOf("Storage:"),
    );
    expect(description.split(/\s+/).slice(1, -1)).toEqual(words);
  });

  it("consumer info: Backoff, and Active Interest of a push consumer from push_bound", async () => {
    const stream = await newStream();
    const deliver = `deliver.${stream}`;
    const add = await ts([
      ...["consumer", "add", stream, "gosub", "--target", deliver, "--max-deliver", "5"],
      ...["--backoff", "linear", "--backoff-steps", "3", "--backoff-min", "1s"],
      ...["--backoff-max", "4s"],
    ]);
    expect(add.code, add.stderr).toBe(0);
    const idle = await ts(["consumer", "info", stream, "gosub"]);
    expect(idle.stdout).toMatch(/^ +Backoff: 1s, 2s, 3s$/m);
    expect(idle.stdout).toMatch(/^ +Active Interest: No interest$/m);
    expect(widest(idle.stdout)).toBeLessThanOrEqual(80);
    await withConnection(server.url, async (nc) => {
      const sub = nc.subscribe(deliver);
      await nc.flush();
      await waitFor(
        async () =>
          /Active Interest: Active$/m.test((await ts(["c", "info", stream, "gosub"])).stdout),
        15_000,
        "push_bound",
      );
      sub.unsubscribe();
    });
    const pull = await ts(["consumer", "add", stream, "puller", "--pull"]);
    expect(pull.code, pull.stderr).toBe(0);
    expect((await ts(["consumer", "info", stream, "puller"])).stdout).not.toMatch(
      /Active Interest/,
    );
  });
});

describe("consumers provisioned and changed without losing their place (17.6)", () => {
  it("consumer add: pull with natscli's flags; the same again is fine, a different one is 5", async () => {
    const stream = await newStream();
    const args = [
      ...["consumer", "add", stream, "worker", "--pull", "--ack", "explicit", "--wait", "45s"],
      ...["--max-deliver", "4", "--max-pending", "20", "--filter", "tweet_liked"],
      ...["--deliver", "new", "--description", "likes", "--defaults"],
    ];
    const r = await ts([...args, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({
      name: "worker",
      did_create: true,
      config: {
        durable_name: "worker",
        ack_policy: "explicit",
        ack_wait: 45 * SECOND_NS,
        max_deliver: 4,
        max_ack_pending: 20,
        filter_subject: `${stream}.tweet_liked`,
        deliver_policy: "new",
        description: "likes",
      },
    });
    expect(r.json().config.deliver_subject).toBeUndefined();
    const again = await ts([...args, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().did_create).toBeUndefined();
    const other = await ts(["consumer", "add", stream, "worker", "--max-deliver", "9"]);
    expect(other.code).toBe(5);
    expect(other.stderr).toMatch(/max deliveries is 4, requested 9.*consumer edit/);
    const both = await ts(["consumer", "add", stream, "x", "--pull", "--target", "d.x"]);
    expect(both.code).toBe(2);
  });

  it("listen --durable x --max-deliver 5 on an existing durable: consumer edit fixes it, keeping the ack floor", async () => {
    const stream = await newStream();
    await publishEvents(server.url, stream, 4);
    const listen = (extra: string[]) =>
      ts(["listen", "--stream", stream, "--durable", "x", "--timeout", "5s", "--json", ...extra]);
    expect((await listen(["--count", "2"])).code).toBe(0);
    const refused = await listen(["--count", "1", "--max-deliver", "5"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(
      new RegExp(`tweetstream consumer edit ${stream} x --max-deliver 5 --force`),
    );
    const dry = await ts(["consumer", "edit", stream, "x", "--max-deliver", "5", "--dry-run"]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/max deliveries: unlimited → 5/);
    const edit = await ts([
      ...["consumer", "edit", stream, "x", "--max-deliver", "5", "--wait", "40s"],
      ...["--description", "edited", "--force", "--json"],
    ]);
    expect(edit.code, edit.stderr).toBe(0);
    expect(edit.json().config).toMatchObject({
      max_deliver: 5,
      ack_wait: 40 * SECOND_NS,
      description: "edited",
    });
    expect(edit.json().ack_floor.stream_seq).toBe(2);
    const same = await ts(["consumer", "edit", stream, "x", "--max-deliver", "5", "--force"]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/no difference/);
    const resumed = await listen(["--count", "1", "--max-deliver", "5"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.lines()[0].seq).toBe(3);
    const noTerminal = await ts(["consumer", "edit", stream, "x", "--max-pending", "10"]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toMatch(/--force/);
  });
});
