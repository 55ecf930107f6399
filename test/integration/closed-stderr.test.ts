// A closed stderr is not a crash: the run completes, stdout gets its result and the exit
// code is the documented one (issue 18, item 4). The reader of stderr goes away the way a
// pipe's does (`2>&1 | head -2`, a log reader that quit): the CLI's next write gets EPIPE.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, cleanEnv, cliAgainst } from "../helpers/cli.js";
import { CLI_COMMAND, shellPipeline } from "../helpers/cli-process.js";
import { fixtureEvent } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
let dir: string;
const { ts, newStream } = cliAgainst(() => server.url);

beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "tweetstream-stderr-"));
});
afterAll(async () => {
  await server?.stop();
});

/** 1 800 good events with a bad line after every tenth: 180 warnings on stderr. */
function inputWithBadLines(): { path: string; good: number } {
  const lines: string[] = [];
  const good = 1800;
  for (let i = 0; i < good; i++) {
    lines.push(JSON.stringify(fixtureEvent(i)));
    if (i % 10 === 0) lines.push(`bad line ${i}`);
  }
  const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.ndjson`);
  writeFileSync(path, lines.join("\n") + "\n");
  return { path, good };
}

async function storedCount(stream: string): Promise<number> {
  const r = await ts(["stream", "info", stream, "--json"]);
  expect(r.code).toBe(0);
  return r.json().state.messages;
}

const pipeline = (script: string) => shellPipeline(script, { NATS_URL: server.url });
const cli = CLI_COMMAND;

describe("a closed stderr", () => {
  it("publish --file with bad lines, stdout to a file: every good line stored, summary written, exit 2", async () => {
    const stream = await newStream([], "ES");
    const { path, good } = inputWithBadLines();
    const outPath = join(dir, `${stream}.out`);
    const outFd = openSync(outPath, "w");
    const child = spawn(
      process.execPath,
      [BIN, "publish", "--stream", stream, "--file", path, "--json"],
      { env: cleanEnv({ NATS_URL: server.url }), stdio: ["ignore", outFd, "pipe"] },
    );
    closeSync(outFd);
    // the reader goes away before the CLI writes anything: every write to stderr is EPIPE
    child.stderr!.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(2);
    const summary = JSON.parse(readFileSync(outPath, "utf8"));
    expect(summary).toMatchObject({ stream, published: good, failed: 180, lines: good + 180 });
    expect(await storedCount(stream)).toBe(good);
  });

  it("publish --file f 2>&1 | head -2: the run completes, exit 2", async () => {
    const stream = await newStream([], "ES");
    const { path, good } = inputWithBadLines();
    const r = await pipeline(`${cli} publish --stream ${stream} --file ${path} 2>&1 | head -2`);
    expect(r.stdout.trim().split("\n")).toHaveLength(2);
    expect(r.code).toBe(2);
    expect(await storedCount(stream)).toBe(good);
  });

  it("usage on a closed pipe keeps its exit 2 (tweetstream 2>&1 | head -1, view --nope | head -0)", async () => {
    const bare = await pipeline(`${cli} 2>&1 | head -1`);
    expect(bare.stdout).toMatch(/^Usage: tweetstream/);
    expect(bare.code).toBe(2);
    const nope = await pipeline(`${cli} view --nope 2>&1 | head -0`);
    expect(nope.stdout).toBe("");
    expect(nope.code).toBe(2);
  });
});
