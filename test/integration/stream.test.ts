import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, uniqueStream } from "../helpers/cli.js";
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

describe("stream add", () => {
  it("creates the article's stream with its defaults", async () => {
    const name = uniqueStream();
    const r = await ts(["stream", "add", name, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.json();
    expect(out.status).toBe("created");
    expect(out.stream).toMatchObject({
      name,
      subjects: [`${name}.*`],
      description: "Streaming article example",
      storage: "file",
      replicas: 1,
      messages: 0,
      last_ts: null,
    });
  });

  it("defaults the name to TWITTERCLONE, or --stream / TWEETSTREAM_STREAM", async () => {
    const r = await ts(["stream", "add", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().stream.name).toBe("TWITTERCLONE");
    expect(r.json().stream.subjects).toEqual(["TWITTERCLONE.*"]);
    const viaEnv = uniqueStream("ENV");
    const e = await ts(["stream", "add", "--json"], { env: { TWEETSTREAM_STREAM: viaEnv } });
    expect(e.json().stream.name).toBe(viaEnv);
    const viaFlag = uniqueStream("FLAG");
    const f = await ts(["--stream", viaFlag, "stream", "add", "--json"]);
    expect(f.json().stream.name).toBe(viaFlag);
    const g = await ts(["stream", "info", "--stream", viaFlag, "--json"]);
    expect(g.json().name).toBe(viaFlag);
  });

  it("is idempotent with the same configuration and says the stream exists", async () => {
    const name = uniqueStream();
    expect((await ts(["stream", "add", name])).code).toBe(0);
    const again = await ts(["stream", "add", name]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already exists/);
    const json = await ts(["stream", "add", name, "--json"]);
    expect(json.json().status).toBe("exists");
  });

  it("refuses a different configuration for an existing name, naming the difference (exit 5)", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "add", name, "--storage", "memory", "--description", "other"]);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/storage/);
    expect(r.stderr).toMatch(/description/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    const info = await ts(["stream", "info", name, "--json"]);
    expect(info.json()).toMatchObject({
      storage: "file",
      description: "Streaming article example",
    });
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
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(r.json().stream).toMatchObject({
      subjects: [`${name}.a`, `${name}.b`, `${name}.c`],
      description: "custom",
      storage: "memory",
      max_age_ms: 3_600_000,
      max_msgs: 1000,
      max_bytes: 10 * 1024 * 1024,
      duplicate_window_ms: 30_000,
    });
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
    [["--bogus"]],
  ])("refuses bad flag values %j (exit 2)", async (flags) => {
    const r = await ts(["stream", "add", uniqueStream(), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe("stream ls and info", () => {
  it("lists full objects in JSON, with no bogus last-message time for empty streams", async () => {
    const name = uniqueStream();
    await ts(["stream", "add", name]);
    const r = await ts(["stream", "ls", "--json"]);
    expect(r.code).toBe(0);
    const streams = r.json() as any[];
    const mine = streams.find((s) => s.name === name);
    expect(mine).toBeDefined();
    for (const key of [
      "name",
      "description",
      "subjects",
      "created",
      "messages",
      "bytes",
      "first_seq",
      "last_seq",
      "last_ts",
      "consumers",
      "storage",
      "replicas",
    ]) {
      expect(mine).toHaveProperty(key);
    }
    expect(mine.last_ts).toBeNull();
    expect(new Date(mine.created).getFullYear()).toBeGreaterThan(2000);
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
    expect(j.json()).toMatchObject({ name, messages: 0 });
    const missing = await ts(["stream", "info", "NO_SUCH_STREAM"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim()).toBe("error: stream NO_SUCH_STREAM not found");
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
    expect((await ts(["stream", "info", name, "--json"])).json().messages).toBe(0);
  });
});
