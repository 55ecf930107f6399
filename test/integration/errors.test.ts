// Failures named by what the server said (issue "Errors that tell the truth"): a full
// stream, no JetStream, permission denied on one subject, no JetStream answer within the
// retry budget, acks lost to a paused server. Servers are configured by files the tests
// write; every run uses a small --timeout so that the retry budget (3 x --timeout) is short.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { serverVersion, startServer, type TestServer } from "../helpers/nats-server.js";
import { connect } from "nats";
import { pauseProcess } from "../helpers/pause.js";

const dir = mkdtempSync(join(tmpdir(), "ts-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server from a config file written here; `conf` gets the store dir filled in. */
async function serverWith(name: string, conf: (storeDir: string) => string): Promise<TestServer> {
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, conf(mkdtempSync(join(dir, `${name}-store-`))));
  return startServer({ jetstream: false, args: ["-c", path] });
}

function ndjson(name: string, events: object[]): string {
  const path = join(dir, name);
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return path;
}

/** How many messages the stream holds, straight from the server. */
async function messageCount(url: string, stream: string, user?: string): Promise<number> {
  const nc = await connect({ servers: url, ...(user ? { user, pass: user } : {}) });
  try {
    return (await (await nc.jetstreamManager()).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

/**
 * Starts `tweet --count` (ids <stream>-<n>); resolves once `started` are stored, with the
 * run's result still to come (wrapped: an awaited promise would wait for the run's end).
 */
async function startLoad(
  url: string,
  stream: string,
  o: { count: number; timeout: string; window: number; started: number },
) {
  const args = ["tweet", "load {{n}}", "--id", `${stream}-{{n}}`, "--count", String(o.count)];
  const run = runCli(
    [...args, "--stream", stream, "--timeout", o.timeout, "--window", String(o.window), "--json"],
    { env: { NATS_URL: url }, timeoutMs: 60_000 },
  );
  await waitFor(async () => (await messageCount(url, stream)) >= o.started, 20_000, "the run");
  return { result: run };
}

const tweet = (n: number) => ({
  messageType: "tweet_created",
  id: `t-${n}`,
  message: `hello ${n}`,
  date: "2022-01-07T22:01:27Z",
  author: "ziggornif",
});
const like = (n: number) => ({ ...tweet(n), messageType: "tweet_liked", message: "" });

describe("one JetStream server with accounts and permissions", () => {
  let server: TestServer;
  const run = (user: string, args: string[], extra: Parameters<typeof runCli>[1] = {}) =>
    runCli([...args, "--timeout", "1s"], {
      ...extra,
      env: { NATS_URL: server.url, NATS_USER: user, NATS_PASSWORD: user, ...extra.env },
    });

  beforeAll(async () => {
    server = await serverWith(
      "accounts",
      (store) => `
jetstream { store_dir: "${store}" }
accounts {
  APP {
    jetstream: enabled
    users = [
      { user: app, password: app }
      { user: nolikes, password: nolikes, permissions: { publish: { deny: ["*.tweet_liked"] } } }
    ]
  }
  PLAIN { users = [ { user: plain, password: plain } ] }
}
`,
    );
  });
  afterAll(async () => server?.stop());

  async function stream(extra: string[] = []): Promise<string> {
    const name = uniqueStream("E");
    const r = await run("app", ["stream", "add", name, ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return name;
  }

  it("a full stream (discard new) is exit 5 naming the limit, never 'create one'", async () => {
    const name = await stream(["--max-msgs", "2", "--discard", "new"]);
    for (const n of [1, 2])
      expect((await run("app", ["tweet", `x${n}`, "--stream", name])).code).toBe(0);
    const r = await run("app", ["tweet", "x3", "--stream", name]);
    expect(r.code).toBe(5);
    expect(r.stderr.trim()).toMatch(
      new RegExp(`^error: stream ${name} is full: maximum messages exceeded \\(limit max_msgs`),
    );
    expect(r.stderr).not.toMatch(/create one/);

    const bulk = await run("app", [
      "publish",
      "--file",
      ndjson("full.ndjson", [tweet(1), tweet(2), tweet(3)]),
      "--stream",
      name,
      "--json",
    ]);
    expect(bulk.code).toBe(5);
    const summary = bulk.json();
    expect(summary).toMatchObject({ published: 0, duplicates: 0, failed: 3, not_sent: 0 });
    expect(summary.failures).toHaveLength(3);
    for (const f of summary.failures) {
      expect(f.exit_code).toBe(5);
      expect(f.error).toMatch(/is full: maximum messages exceeded/);
    }
  });

  it("a full stream by bytes names max_bytes", async () => {
    const name = await stream(["--max-bytes", "1KB", "--discard", "new"]);
    const r = await run("app", ["tweet", "y".repeat(2000), "--stream", name]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/is full: maximum bytes exceeded \(limit max_bytes/);
  });

  it("an account without JetStream is exit 3 for tweet, like and publish", async () => {
    const path = ndjson("nojs.ndjson", [tweet(1)]);
    for (const args of [
      ["tweet", "hi"],
      ["like", "t-1"],
      ["publish", "--file", path],
      ["stream", "ls"],
    ]) {
      const r = await run("plain", [...args, "--stream", "NOJS"]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/JetStream is not enabled for this account/);
      expect(r.stderr).not.toMatch(/create one/);
    }
  });

  it("permission denied on likes fails each like with its reason; the tweets are stored", async () => {
    const name = await stream();
    const events = [tweet(1), like(1), tweet(2), like(2), tweet(3)];
    const r = await run("nolikes", [
      "publish",
      "--file",
      ndjson("perm.ndjson", events),
      "--stream",
      name,
      "--json",
    ]);
    expect(r.code).toBe(3);
    const summary = r.json();
    expect(summary).toMatchObject({ published: 3, failed: 2, not_sent: 0, aborted: false });
    expect(summary.failures.map((f: { line: number }) => f.line).sort()).toEqual([2, 4]);
    for (const f of summary.failures) expect(f.error).toMatch(/permission denied/i);
    expect(await messageCount(server.url, name, "app")).toBe(3);

    const ff = await run("nolikes", [
      "publish",
      "--file",
      ndjson("perm2.ndjson", [like(1), ...Array.from({ length: 300 }, (_, i) => tweet(10 + i))]),
      "--stream",
      name,
      "--json",
      "--fail-fast",
      "--window",
      "1",
    ]);
    expect(ff.code).toBe(3);
    expect(ff.json()).toMatchObject({ failed: 1, aborted: true });
    expect(ff.json().not_sent).toBeGreaterThan(0);
  });
});

describe("a server without JetStream", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ jetstream: false });
  });
  afterAll(async () => server?.stop());

  it("tweet, like and publish say so: exit 3, at once", async () => {
    const path = ndjson("nojs2.ndjson", [tweet(1)]);
    for (const args of [
      ["tweet", "hi"],
      ["like", "t-1"],
      ["publish", "--file", path],
    ]) {
      const started = Date.now();
      const r = await runCli([...args, "--timeout", "1s"], { env: { NATS_URL: server.url } });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/JetStream is not enabled/);
      expect(r.stderr).not.toMatch(/create one/);
      expect(Date.now() - started).toBeLessThan(2500); // not the retry budget
    }
  });
});

describe("JetStream that stops answering while the stream exists", () => {
  // JetStream switched off by a config reload under a connected client: the stream's
  // subjects get no responders and the JetStream API no answer, as in a leader election.
  let server: TestServer;
  let conf: string;
  let on: string;
  beforeAll(async () => {
    const store = mkdtempSync(join(dir, "reload-store-"));
    conf = join(dir, "reload.conf");
    on = `jetstream { store_dir: "${store}" }\n`;
    writeFileSync(conf, on);
    server = await startServer({ jetstream: false, args: ["-c", conf] });
  });
  afterAll(async () => server?.stop());

  const reload = (text: string) => {
    writeFileSync(conf, text);
    process.kill(server.pid, "SIGHUP");
  };

  /** JetStream switched on (again), and a new stream. */
  async function freshStream(): Promise<string> {
    reload(on);
    const name = uniqueStream("R");
    const add = () => runCli(["stream", "add", name], { env: { NATS_URL: server.url } });
    await waitFor(async () => (await add()).code === 0, 10_000, "JetStream on");
    return name;
  }

  /** Starts tweet --count, switches JetStream off once 100 are stored. */
  async function runThroughOutage(name: string, count: number, timeout: string) {
    const load = await startLoad(server.url, name, { count, timeout, window: 16, started: 100 });
    reload("jetstream: disabled\n");
    return load.result;
  }

  it("a bulk run retries within the budget (3 x --timeout), then exit 6 'no JetStream answer', every event accounted for", async () => {
    const name = await freshStream();
    const started = Date.now();
    const r = await runThroughOutage(name, 200_000, "1s");
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/no JetStream answer within 3s .*no responders/);
    expect(r.stderr).not.toMatch(/create one|not found/);
    const s = r.json();
    expect(s.aborted).toBe(true);
    expect(s.published + s.duplicates + s.failed + s.not_sent).toBe(200_000);
    expect(s.failures.length + s.failures_omitted).toBe(s.failed);
    expect(s.failures[0].exit_code).toBe(6);
    expect(took).toBeLessThan(30_000);
  });

  it.runIf(!/^v?2\.9\./.test(serverVersion()))(
    "a bulk run goes on when JetStream comes back within the budget: every event stored once",
    async () => {
      const name = await freshStream();
      const pending = runThroughOutage(name, 5000, "3s");
      let settled = false;
      void pending.then(() => (settled = true));
      // the outage lasts until a client has seen JetStream stop answering (well inside the 9s
      // budget), while the run was still going: it rode the outage out
      await waitFor(
        () =>
          messageCount(server.url, name).then(
            () => false,
            () => true,
          ),
        9_000,
        "JetStream to stop answering",
      );
      expect(settled).toBe(false);
      reload(on);
      const r = await pending;
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toMatchObject({ published: 5000, duplicates: 0, failed: 0 });
      expect(await messageCount(server.url, name)).toBe(5000);
    },
  );
});

describe("a paused server (acks lost, then the server comes back)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    try {
      process.kill(server.pid, "SIGCONT");
    } catch {
      // already gone
    }
    await server?.stop();
  });

  it("counts what this run stored as published, not as duplicates", async () => {
    const name = uniqueStream("PAUSE");
    const env = { NATS_URL: server.url };
    expect((await runCli(["stream", "add", name], { env })).code).toBe(0);
    const count = 20_000;
    const load = await startLoad(server.url, name, {
      count,
      timeout: "2s",
      window: 64,
      started: 200,
    });
    // a connection opened before the pause sees it: a request unanswered for longer than
    // the run's --timeout (2 s; the run's acks were awaited since before it), then SIGCONT,
    // well inside the 6 s budget
    const probe = await connect({ servers: server.url });
    try {
      await pauseProcess(server.pid);
      await expect(
        probe.request("$JS.API.INFO", undefined, { timeout: 2500 }),
      ).rejects.toMatchObject({ code: "TIMEOUT" });
    } finally {
      process.kill(server.pid, "SIGCONT");
      await probe.close().catch(() => undefined);
    }
    const r = await load.result;
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ published: count, duplicates: 0, failed: 0, not_sent: 0 });
    expect(await messageCount(server.url, name)).toBe(count);
  });
});
