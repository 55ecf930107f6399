import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, runCli, uniqueStream } from "../helpers/cli.js";
import { withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
const { ts } = cliAgainst(() => server.url);

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("stream add", () => {
  it("creates the article's stream with its defaults", async () => {
    const name = uniqueStream();
    const r = await ts(["stream", "add", name, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    // the JetStream API's StreamInfo, as natscli prints it
    const out = r.json();
    // (nats-server ≥ 2.10 adds "ts", the server's time)
    expect(Object.keys(out).filter((k) => k !== "ts")).toEqual([
      "config",
      "created",
      "state",
      "did_create",
    ]);
    expect(out.config).toMatchObject({
      name,
      subjects: [`${name}.*`],
      storage: "file",
      num_replicas: 1,
      retention: "limits",
      max_age: 0,
    });
    expect(out.config.description ?? "").toBe("");
    expect(out.state).toMatchObject({ messages: 0, consumer_count: 0 });
    expect(out.did_create).toBe(true);
  });

  it("defaults the name to TWITTERCLONE, or --stream / TWEETSTREAM_STREAM", async () => {
    const r = await ts(["stream", "add", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().config.name).toBe("TWITTERCLONE");
    expect(r.json().config.subjects).toEqual(["TWITTERCLONE.*"]);
    const viaEnv = uniqueStream("ENV");
    const e = await ts(["stream", "add", "--json"], { env: { TWEETSTREAM_STREAM: viaEnv } });
    expect(e.json().config.name).toBe(viaEnv);
    const viaFlag = uniqueStream("FLAG");
    const f = await ts(["--stream", viaFlag, "stream", "add", "--json"]);
    expect(f.json().config.name).toBe(viaFlag);
    const g = await ts(["stream", "info", "--stream", viaFlag, "--json"]);
    expect(g.json().config.name).toBe(viaFlag);
  });

  it("is idempotent with the same configuration and says the stream exists", async () => {
    const name = uniqueStream();
    expect((await ts(["stream", "add", name])).code).toBe(0);
    const again = await ts(["stream", "add", name]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already exists/);
    const json = await ts(["stream", "add", name, "--json"]);
    expect(json.json().config.name).toBe(name);
    expect(json.json()).not.toHaveProperty("did_create");
  });

  it("refuses a different configuration for an existing name, naming the difference (exit 5)", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "add", name, "--storage", "memory", "--description", "other"]);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/storage/);
    expect(r.stderr).toMatch(/description/);
    expect(r.stderr).toMatch(/stream edit/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    const info = await ts(["stream", "info", name, "--json"]);
    expect(info.json().config.storage).toBe("file");
    expect(info.json().config.description ?? "").toBe("");
    // limits are shown as people read them, never in nanoseconds
    const age = await ts(["stream", "add", name, "--max-age", "1h"]);
    expect(age.code).toBe(5);
    expect(age.stderr).toMatch(/max age is unlimited, requested 1h/);
    expect(age.stderr).not.toMatch(/3600000000000/);
  });

  it("refuses subjects overlapping another stream, naming it (exit 5)", async () => {
    const a = uniqueStream("A");
    const b = uniqueStream("B");
    await ts(["stream", "add", a]);
    const r = await ts(["stream", "add", b, "--subjects", `${a}.*`]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(a);
  });

  it("takes every configuration flag", async () => {
    const name = uniqueStream();
    const r = await ts([
      "stream",
      "add",
      name,
      "--subjects",
      `${name}.a`,
      "--subjects",
      `${name}.b,${name}.c`,
      "--description",
      "custom",
      "--storage",
      "memory",
      "--replicas",
      "1",
      "--max-age",
      "1h",
      "--max-msgs",
      "1000",
      "--max-bytes",
      "10MB",
      "--dupe-window",
      "30s",
      "--retention",
      "workqueue",
      "--max-msg-size",
      "64KB",
      "--max-msgs-per-subject",
      "10",
      "--discard",
      "new",
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(r.json().config).toMatchObject({
      subjects: [`${name}.a`, `${name}.b`, `${name}.c`],
      description: "custom",
      storage: "memory",
      max_age: 3_600_000_000_000,
      max_msgs: 1000,
      max_bytes: 10 * 1024 * 1024,
      duplicate_window: 30_000_000_000,
      retention: "workqueue",
      max_msg_size: 65536,
      max_msgs_per_subject: 10,
      discard: "new",
    });
  });

  it("takes a configuration file in the API's JSON (--config), options overriding it", async () => {
    const name = uniqueStream();
    const dir = mkdtempSync(join(tmpdir(), "ts-config-"));
    const file = join(dir, "stream.json");
    writeFileSync(
      file,
      JSON.stringify({
        name,
        subjects: [`${name}.>`],
        retention: "interest",
        max_age: 7_200_000_000_000,
        max_msgs: 50,
        storage: "memory",
      }),
    );
    const r = await ts(["stream", "add", "--config", file, "--max-msgs", "60", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().config).toMatchObject({
      name,
      subjects: [`${name}.>`],
      retention: "interest",
      max_age: 7_200_000_000_000,
      max_msgs: 60,
      storage: "memory",
    });
    // the same file again is idempotent
    expect((await ts(["stream", "add", "--config", file, "--max-msgs", "60"])).code).toBe(0);
    writeFileSync(file, "{not json");
    const bad = await ts(["stream", "add", "--config", file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --config/);
    const missing = await ts(["stream", "add", "--config", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
  });

  it.each([["a b"], ["a.b"], ["A*"], ["A>"], [""]])(
    "refuses the invalid name %j before connecting (exit 2)",
    async (bad) => {
      // an unreachable server proves no connection was attempted first
      const r = await runCli(["stream", "add", bad], { env: { NATS_URL: "nats://127.0.0.1:1" } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/invalid stream name/);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    },
  );

  it.each([
    [["--max-age", "soon"]],
    [["--max-bytes", "lots"]],
    [["--replicas", "0"]],
    [["--storage", "disk"]],
    [["--retention", "forever"]],
    [["--max-msg-size", "big"]],
    [["--bogus"]],
  ])("refuses bad flag values %j (exit 2)", async (flags) => {
    const r = await ts(["stream", "add", uniqueStream(), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe("stream ls and info", () => {
  it("lists StreamInfo objects in JSON, and only names with --names", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "ls", "--json"]);
    expect(r.code).toBe(0);
    const streams = r.json() as any[];
    const mine = streams.find((s) => s.config.name === name);
    expect(mine).toBeDefined();
    for (const key of ["config", "created", "state"]) expect(mine).toHaveProperty(key);
    for (const key of ["messages", "bytes", "first_seq", "last_seq", "consumer_count"])
      expect(mine.state).toHaveProperty(key);
    expect(new Date(mine.created).getFullYear()).toBeGreaterThan(2000);
    const names = await ts(["stream", "ls", "--names", "--json"]);
    expect(names.json()).toContain(name);
    expect(names.json().every((n: unknown) => typeof n === "string")).toBe(true);
    const plain = await ts(["stream", "ls", "--names"]);
    expect(plain.stdout.split("\n")).toContain(name);
  });

  it("leaves JetStream's system streams out unless --all", async () => {
    const name = uniqueStream();
    const bucket = `${name}_VIEW`;
    await ts(["stream", "add", name]);
    await withConnection(server.url, async (nc) => void (await nc.jetstream().views.kv(bucket)));
    const names = async (args: string[]) => (await ts(["stream", "ls", ...args])).json() as any[];
    const jsonNames = (await names(["--json"])).map((s) => s.config.name);
    expect(jsonNames).toContain(name);
    expect(jsonNames.filter((n: string) => n.startsWith("KV_"))).toEqual([]);
    expect(await names(["--names", "--json"])).not.toContain(`KV_${bucket}`);
    expect((await ts(["stream", "ls"])).stdout).not.toContain(`KV_${bucket}`);
    const all = (await names(["--all", "--json"])).map((s) => s.config.name);
    expect(all).toEqual(expect.arrayContaining([name, `KV_${bucket}`]));
    expect(await names(["-a", "--names", "--json"])).toContain(`KV_${bucket}`);
    expect((await ts(["stream", "ls", "--all"])).stdout).toContain(`KV_${bucket}`);
  });

  it("stream add of a name stream ls hides (KV_x) warns that it is listed only with --all", async () => {
    const name = `KV_${uniqueStream()}`;
    const r = await ts(["stream", "add", name, "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().config.name).toBe(name); // stdout stays the result alone
    expect(r.stderr).toBe(
      `warning: stream ls lists ${name} only with --all (KV_* names are JetStream's key-value buckets)\n`,
    );
    expect((await ts(["stream", "ls", "--names"])).stdout.split("\n")).not.toContain(name);
    expect((await ts(["stream", "ls", "--names", "--all"])).stdout.split("\n")).toContain(name);
    const plain = await ts(["stream", "add", "--stream", uniqueStream()]);
    expect(plain.stderr).toBe("");
  });

  it("shows a table like nats stream ls", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "ls"]);
    expect(r.code).toBe(0);
    for (const h of ["Name", "Description", "Created", "Messages", "Size", "Last Message"])
      expect(r.stdout).toContain(h);
    expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(/never/);
    expect(r.stdout).not.toMatch(/\u001b\[/); // no colour in a pipe
    expect(r.stdout).not.toMatch(/0001/);
  });

  it("says No streams defined on an empty server", async () => {
    const empty = await startServer();
    try {
      const r = await runCli(["stream", "ls"], { env: { NATS_URL: empty.url } });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe("No streams defined");
      const j = await runCli(["stream", "ls", "--json"], { env: { NATS_URL: empty.url } });
      expect(j.json()).toEqual([]);
      // a key-value bucket's stream is JetStream's own: hidden unless --all, as in natscli
      await withConnection(empty.url, async (nc) => void (await nc.jetstream().views.kv("only")));
      const hidden = await runCli(["stream", "ls"], { env: { NATS_URL: empty.url } });
      expect(hidden.stdout.trim()).toBe("No streams defined, pass -a to include system streams");
      const all = await runCli(["stream", "ls", "-a", "--json"], { env: { NATS_URL: empty.url } });
      expect(all.json().map((s: any) => s.config.name)).toEqual(["KV_only"]);
    } finally {
      await empty.stop();
    }
  });

  it("info shows configuration and state; unknown stream is exit 4", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "info", name]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Configuration");
    expect(r.stdout).toContain("State");
    const j = await ts(["stream", "info", name, "--json"]);
    expect(j.json()).toMatchObject({ config: { name }, state: { messages: 0 } });
    const missing = await ts(["stream", "info", "NO_SUCH_STREAM"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim()).toBe("error: stream NO_SUCH_STREAM not found (10059)");
  });
});

describe("stream edit", () => {
  it("changes only the options given, shows the change in human units, --json is StreamInfo", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name, "--max-msgs", "100"]);
    const r = await ts([
      "stream",
      "edit",
      name,
      "--max-age",
      "1h",
      "--description",
      "tweets",
      "-f",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/max age: unlimited → 1h/);
    expect(r.stdout).toMatch(/description: none → "tweets"/);
    expect(r.stdout).not.toMatch(/3600000000000/);
    const j = await ts([
      "stream",
      "edit",
      name,
      "--max-bytes",
      "1MB",
      "--discard",
      "new",
      "--force",
      "--json",
    ]);
    expect(j.code).toBe(0);
    expect(j.json().config).toMatchObject({
      max_age: 3_600_000_000_000,
      max_msgs: 100,
      max_bytes: 1024 * 1024,
      description: "tweets",
      discard: "new",
    });
    expect(j.json()).toHaveProperty("state");
    const same = await ts(["stream", "edit", name, "--max-bytes", "1MB", "--force"]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/nothing changed/);
  });

  it("refuses without a terminal unless --force (exit 2); nothing to change is exit 0", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "edit", name, "--max-age", "1h"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--force/);
    expect((await ts(["stream", "info", name, "--json"])).json().config.max_age).toBe(0);
    const nothing = await ts(["stream", "edit", name, "--force"]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/no difference/);
    expect((await ts(["stream", "edit", uniqueStream(), "--max-age", "1h", "-f"])).code).toBe(4);
  });

  it("exit 5 naming what the server will not change", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "edit", name, "--storage", "memory", "--force"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/storage: file → memory/);
    expect(r.stderr).toMatch(/storage type/);
    const other = uniqueStream();
    await ts(["stream", "add", other]);
    const overlap = await ts(["stream", "edit", other, "--subjects", `${name}.x`, "--force"]);
    expect(overlap.code).toBe(5);
    expect(overlap.stderr).toContain(name);
  });
});

describe("stream rm and purge", () => {
  it("refuse without a terminal unless --force (exit 2), and leave the stream alone", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const rm = await ts(["stream", "rm", name]);
    expect(rm.code).toBe(2);
    expect(rm.stderr).toMatch(/--force/);
    const purge = await ts(["stream", "purge", name]);
    expect(purge.code).toBe(2);
    expect((await ts(["stream", "info", name])).code).toBe(0);
  });

  it("rm --force deletes; a second rm is exit 4", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "rm", name, "--force", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ stream: name, deleted: true });
    expect((await ts(["stream", "info", name])).code).toBe(4);
    expect((await ts(["stream", "rm", name, "--force"])).code).toBe(4);
  });

  it("purge --force empties the stream, or only one subject", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const { connect } = await import("nats");
    const nc = await connect({ servers: server.url });
    const js = nc.jetstream();
    await js.publish(`${name}.tweet_created`, "{}");
    await js.publish(`${name}.tweet_liked`, "{}");
    await js.publish(`${name}.tweet_liked`, "{}");
    await nc.drain();
    const one = await ts([
      "stream",
      "purge",
      name,
      "--subject",
      "tweet_liked",
      "--force",
      "--json",
    ]);
    expect(one.code).toBe(0);
    expect(one.json()).toEqual({ stream: name, subject: `${name}.tweet_liked`, purged: 2 });
    const all = await ts(["stream", "purge", name, "--force", "--json"]);
    expect(all.json().purged).toBe(1);
    expect((await ts(["stream", "info", name, "--json"])).json().state.messages).toBe(0);
  });
});

describe("--subject outside the stream", () => {
  it("view, listen and purge refuse a subject the stream cannot store (exit 2), naming its subjects", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    for (const args of [
      ["view", name, "--subject", "OTHER.x"],
      ["listen", "--stream", name, "--subject", "OTHER.>", "--timeout", "2s"],
      ["stream", "purge", name, "--subject", "OTHER.x", "--force"],
    ]) {
      const r = await ts(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`stream ${name} stores no subject matching OTHER.`);
      expect(r.stderr).toContain(`${name}.*`);
    }
    // a subject the stream stores but nobody published to is fine
    expect((await ts(["view", name, "--subject", `${name}.other`])).code).toBe(0);
  });
});
