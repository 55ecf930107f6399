// Every --json shape against its JSON Schema in docs/schemas/ (the validator is
// test/helpers/json-schema.ts), errors under --json included: one object on stderr,
// nothing on stdout. Each schema file is used here and documented in docs/output.md.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, uniqueStream, type CliResult, cliAgainst } from "../helpers/cli.js";
import { publishEvents, publishRaw } from "../helpers/fixtures.js";
import { validate } from "../helpers/json-schema.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { startServe } from "../helpers/serve.js";

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "ts-schemas-"));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const { ts, newStream } = cliAgainst(() => server.url);
const used = new Set<string>();

function schema(name: string): Record<string, unknown> {
  used.add(name);
  return JSON.parse(readFileSync(join(ROOT, "docs/schemas", `${name}.json`), "utf8"));
}

function expectValid(name: string, value: unknown): void {
  expect(validate(schema(name), value), `${name}: ${JSON.stringify(value)}`).toEqual([]);
}

function expectJsonError(r: CliResult, exit: number, errCode?: number): void {
  expect(r.code).toBe(exit);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  const e = JSON.parse(lines[0]!);
  expectValid("error", e);
  expect(e.error.exit).toBe(exit);
  if (errCode !== undefined) expect(e.error.err_code).toBe(errCode);
  else expect(e.error).not.toHaveProperty("err_code");
}

describe("--json shapes match docs/schemas", () => {
  it("the validator rejects what a schema forbids", () => {
    const s = schema("error");
    expect(validate(s, { error: { message: "x", exit: 2 } })).toEqual([]);
    expect(validate(s, { error: { message: "x" } })).not.toEqual([]);
    expect(validate(s, { error: { message: "x", exit: "2" } })).not.toEqual([]);
    expect(validate(s, { error: { message: "x", exit: 2 }, more: 1 })).not.toEqual([]);
  });

  it("errors: one JSON object on stderr, err_code when JetStream gave one", async () => {
    const stream = uniqueStream("J");
    expectJsonError(await ts(["stream", "info", stream, "--json"]), 4, 10059);
    expectJsonError(await ts(["consumer", "info", "NOPE_S", "x", "--json"]), 4, 10059);
    expectJsonError(await ts(["stream", "ls", "--bogus", "--json"]), 2);
    expectJsonError(await ts(["listen", "--timeout", "0", "--json"]), 2);
    const refused = await runCli(["stream", "ls", "--json"], {
      env: { NATS_URL: "nats://127.0.0.1:1" },
    });
    expectJsonError(refused, 3);
    expect((await ts(["stream", "info", stream])).stderr).toMatch(
      /^error: stream .* not found \(10059\)\n$/,
    );
  });

  it("streams, publishing, view, listen, consumers", async () => {
    const stream = uniqueStream("J");
    const add = await ts(["stream", "add", stream, "--json"]);
    expect(add.code, add.stderr).toBe(0);
    expectValid("stream-info", add.json());
    const tweet = await ts(["tweet", "hello", "--stream", stream, "--json"]);
    expectValid("publish-result", tweet.json());
    const id = tweet.json().event.id;
    expectValid("publish-result", (await ts(["like", id, "--stream", stream, "--json"])).json());
    await publishRaw(server.url, [{ subject: `${stream}.tweet_created`, data: "not json" }]);
    await publishEvents(server.url, stream, 2);
    expectValid("stream-info", (await ts(["stream", "info", stream, "--json"])).json());
    const edit = await ts(["stream", "edit", stream, "--max-msgs", "1000", "--force", "--json"]);
    expect(edit.code, edit.stderr).toBe(0);
    expectValid("stream-info", edit.json());
    for (const s of (await ts(["stream", "ls", "--json"])).json()) expectValid("stream-info", s);
    const view = await ts(["view", "--stream", stream, "--json"]);
    expect(view.lines()).toHaveLength(5);
    for (const l of view.lines()) expectValid("view-record", l);
    const listen = await ts([
      "listen",
      "--stream",
      stream,
      "--durable",
      "d",
      "--count",
      "5",
      "--json",
    ]);
    expect(listen.code, listen.stderr).toBe(0);
    for (const l of listen.lines()) expectValid("listen-event", l);
    expectValid("consumer-info", (await ts(["consumer", "info", stream, "d", "--json"])).json());
    for (const c of (await ts(["consumer", "ls", stream, "--json"])).json())
      expectValid("consumer-info", c);
    expectValid("consumer-info", (await ts(["consumer", "wait", stream, "d", "--json"])).json());
    const check = await ts(["consumer", "check", stream, "d", "--pending-warn", "0", "--json"]);
    expectValid("consumer-check", check.json());
    const next = await ts(["consumer", "next", stream, "d", "--json"]);
    expect(next.code).toBe(6); // d has read everything: none within the timeout
    await publishEvents(server.url, stream, 1);
    for (const l of (await ts(["consumer", "next", stream, "d", "--json"])).lines())
      expectValid("consumer-next", l);
    const file = join(dir, "events.ndjson");
    writeFileSync(file, JSON.stringify(tweet.json().event).replace(id, "other") + "\n");
    expectValid(
      "publish-summary",
      (await ts(["publish", "--file", file, "--stream", stream, "--json"])).json(),
    );
    const many = await ts(["tweet", "x", "--count", "3", "--stream", stream, "--json"]);
    expectValid("publish-summary", many.json());
    const purge = await ts(["stream", "purge", stream, "--force", "--json"]);
    expectValid("stream-purge", purge.json());
    expectValid(
      "consumer-rm",
      (await ts(["consumer", "rm", stream, "d", "--force", "--json"])).json(),
    );
    expectValid("stream-rm", (await ts(["stream", "rm", stream, "--force", "--json"])).json());
  });

  it("listen --exec records, dead letters, consumer info with dead letters", async () => {
    const stream = await newStream([], "J");
    await publishEvents(server.url, stream, 2);
    await publishRaw(server.url, [{ subject: `${stream}.tweet_created`, data: "raw" }]);
    const h = join(dir, "h.sh");
    writeFileSync(h, '#!/bin/sh\n[ "$TWEETSTREAM_SEQ" != 1 ]\n');
    chmodSync(h, 0o755);
    const dead = join(dir, "dead.ndjson");
    const r = await ts([
      ...["listen", "--stream", stream, "--durable", "x", "--exec", h],
      ...["--backoff", "50ms", "--max-deliver", "2", "--timeout", "2s", "--dead-letter", dead],
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(7);
    const lines = r.lines();
    for (const l of lines.slice(0, -1)) expectValid("listen-exec-outcome", l);
    expectValid("listen-exec-summary", lines.at(-1));
    expect(lines.at(-1).summary.dead_letters).toEqual({ count: 1, latest: [1] });
    for (const l of readFileSync(dead, "utf8").trim().split("\n"))
      expectValid("listen-exec-outcome", JSON.parse(l));
    const info = (await ts(["consumer", "info", stream, "x", "--json"])).json();
    expectValid("consumer-info", info);
    expect(info.dead_letters).toEqual({ count: 1, latest: [1] });
    const letters = await ts(["consumer", "dead-letters", stream, "--json"]);
    expectValid("consumer-dead-letters", letters.json());
  });

  it("serve's listening line", async () => {
    const stream = await newStream([], "J");
    const serve = await startServe(["--stream", stream], { NATS_URL: server.url });
    try {
      expectValid("serve-listening", JSON.parse(serve.stdout().split("\n")[0]!));
    } finally {
      await serve.stop();
    }
  });

  it("contexts", async () => {
    const home = join(dir, "config");
    mkdirSync(join(home, "nats", "context"), { recursive: true });
    writeFileSync(
      join(home, "nats", "context", "local.json"),
      JSON.stringify({ description: "here", url: "nats://u:secret@127.0.0.1:4222", password: "p" }),
    );
    writeFileSync(join(home, "nats", "context.txt"), "local");
    const env = { XDG_CONFIG_HOME: home };
    const ls = await runCli(["context", "ls", "--json"], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.json()).toHaveLength(1);
    for (const c of ls.json()) expectValid("context", c);
    const info = await runCli(["context", "info", "local", "--json"], { env });
    expectValid("context", info.json());
    expect(info.stdout).not.toContain("secret");
  });

  it("every schema file is used above and documented in docs/output.md", () => {
    const output = readFileSync(join(ROOT, "docs/output.md"), "utf8");
    for (const f of readdirSync(join(ROOT, "docs/schemas"))) {
      const name = f.replace(/\.json$/, "");
      expect(used.has(name), `${f} is validated by a test`).toBe(true);
      expect(output, `${f} in docs/output.md`).toContain(`schemas/${f}`);
    }
  });
});
