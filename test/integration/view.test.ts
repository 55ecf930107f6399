import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor, cliAgainst, delay } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { publishEvents, publishRaw } from "../helpers/fixtures.js";
import { CLI_COMMAND, shellPipeline, startCli } from "../helpers/cli-process.js";

let server: TestServer;
const { ts, newStream } = cliAgainst(() => server.url);

/** A stream with 6 events (tweets at even, likes at odd sequences) and one non-JSON message. */
async function seeded(): Promise<string> {
  const stream = await newStream([], "V");
  await publishEvents(server.url, stream, 6);
  await publishRaw(server.url, [
    { subject: `${stream}.tweet_created`, data: "not json", headers: { "X-Test": "yes" } },
  ]);
  return stream;
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("view", () => {
  it("prints every stored message oldest first as NDJSON, events parsed, others raw with headers", async () => {
    const stream = await seeded();
    const r = await ts(["view", stream, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.lines();
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(lines[0]).toMatchObject({
      stream,
      seq: 1,
      subject: `${stream}.tweet_created`,
      event: {
        messageType: "tweet_created",
        id: "tweet-0",
        message: "hello world 0",
        author: "user0",
      },
    });
    expect(Object.keys(lines[0]).sort()).toEqual(["event", "seq", "stream", "subject", "time"]);
    expect(Number.isNaN(Date.parse(lines[0].time))).toBe(false);
    expect(lines[6]).toMatchObject({ seq: 7, data: "not json", headers: { "X-Test": ["yes"] } });
    expect(lines[6].event).toBeUndefined();
  });

  it("prints a readable block per message without a terminal, and works as `stream view`", async () => {
    const stream = await seeded();
    const r = await ts(["stream", "view", stream]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^\\[1\\] ${stream}\\.tweet_created  \\d{4}-\\d\\d-\\d\\d`),
    );
    expect(r.stdout).toContain('"message": "hello world 0"');
    expect(r.stdout).toContain("not json");
    expect(r.stdout).not.toMatch(/\u001b\[/); // no colour in a pipe
  });

  it("filters on the server by short form, full subject and wildcard", async () => {
    const stream = await seeded();
    const liked = await ts(["view", stream, "--subject", "tweet_liked", "--json"]);
    expect(liked.lines().map((l) => l.seq)).toEqual([2, 4, 6]);
    const full = await ts([
      "view",
      "--stream",
      stream,
      "--subject",
      `${stream}.tweet_created`,
      "--json",
    ]);
    expect(full.lines().map((l) => l.seq)).toEqual([1, 3, 5, 7]);
    const wild = await ts(["view", stream, "--subject", `${stream}.*`, "--json"]);
    expect(wild.lines()).toHaveLength(7);
  });

  it("says so on stderr when nothing matches, exit 0", async () => {
    const stream = await seeded();
    const r = await ts(["view", stream, "--subject", "tweet_deleted"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/No messages on .*tweet_deleted/);
    const empty = await newStream([], "E");
    const e = await ts(["view", empty, "--json"]);
    expect(e.code).toBe(0);
    expect(e.stdout).toBe("");
  });

  it("--last on a stream never written to, or purged, prints No messages and exits 0", async () => {
    const empty = await newStream([], "E");
    for (const args of [
      ["--last", "2"],
      ["--last", "2", "--subject", "tweet_liked"],
    ]) {
      const r = await ts(["view", empty, ...args]);
      expect(r.stderr, args.join(" ")).toMatch(/^No messages .*in stream .* match\n$/);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toBe("");
    }
    const purged = await seeded();
    expect((await ts(["stream", "purge", purged, "--force"])).code).toBe(0);
    const p = await ts(["view", purged, "--last", "2", "--json"]);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe("");
  });

  it("a --subject outside the stream is the same exit 2 and message, empty or not", async () => {
    const full = await seeded();
    const empty = await newStream([], "E");
    for (const [stream, args] of [
      [full, []],
      [full, ["--last", "2"]],
      [empty, []],
      [empty, ["--last", "2"]],
    ] as const) {
      const r = await ts(["view", stream, "--subject", "OTHER.x", ...args]);
      expect(r.stderr, `${stream} ${args.join(" ")}`).toBe(
        `error: stream ${stream} stores no subject matching OTHER.x (its subjects: ${stream}.*)\n`,
      );
      expect(r.code).toBe(2);
    }
  });

  it("starts at --seq, --since or the --last n (filtered) and stops after --count", async () => {
    const stream = await seeded();
    const seq = await ts(["view", stream, "--seq", "5", "--json"]);
    expect(seq.lines().map((l) => l.seq)).toEqual([5, 6, 7]);
    const last = await ts(["view", stream, "--last", "2", "--subject", "tweet_liked", "--json"]);
    expect(last.lines().map((l) => l.seq)).toEqual([4, 6]);
    const lastAll = await ts(["view", stream, "--last", "3", "--json"]);
    expect(lastAll.lines().map((l) => l.seq)).toEqual([5, 6, 7]);
    const many = await ts(["view", stream, "--last", "100", "--json"]);
    expect(many.lines()).toHaveLength(7);
    const count = await ts([
      "view",
      stream,
      "--count",
      "2",
      "--subject",
      "tweet_created",
      "--json",
    ]);
    expect(count.lines().map((l) => l.seq)).toEqual([1, 3]);
    const since = await ts(["view", stream, "--since", "1h", "--json"]);
    expect(since.lines()).toHaveLength(7);
    const future = await ts(["view", stream, "--since", "2200-01-01T00:00:00Z"]);
    expect(future.code).toBe(0);
    expect(future.stdout).toBe("");
  });

  it("--last stays exact on a stream with gaps (purged subject)", async () => {
    const stream = await seeded();
    expect(
      (await ts(["stream", "purge", stream, "--subject", "tweet_liked", "--force"])).code,
    ).toBe(0);
    const r = await ts(["view", stream, "--last", "2", "--json"]);
    expect(r.lines().map((l) => l.seq)).toEqual([5, 7]);
  });

  it("--raw prints payloads only, one per line", async () => {
    const stream = await seeded();
    const r = await ts(["view", stream, "--raw", "--seq", "6"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(JSON.parse(lines[0]!)).toMatchObject({ messageType: "tweet_liked", id: "tweet-4" });
    expect(lines[1]).toBe("not json");
  });

  it("rejects bad input with one line and exit 2, a missing stream with exit 4", async () => {
    const stream = await seeded();
    for (const args of [
      ["--seq", "3", "--last", "2"],
      ["--last", "0"],
      ["--since", "yesterday"],
      ["--count", "-1"],
      ["--subject", "a..b"],
    ]) {
      const r = await ts(["view", stream, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    const missing = await ts(["view", "NO_SUCH_STREAM"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/stream NO_SUCH_STREAM not found/);
  });

  /**
   * `view --json` of a stream with the server paused (SIGSTOP) once the first line is out,
   * until `resume` says so; the server is always resumed.
   */
  async function viewWithPause(
    args: string[],
    resume: (exited: () => boolean) => Promise<unknown>,
  ): Promise<{ code: number | null; seqs: number[]; stderr: string }> {
    const child = startCli(["view", "--json", ...args], { url: server.url });
    try {
      await waitFor(() => child.stdout().includes("\n"), 20_000, "the first line of view");
      process.kill(server.pid, "SIGSTOP");
      await resume(child.done);
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
    const code = await child.exited;
    const stderr = child.stderr();
    const seqs = child
      .stdout()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).seq as number);
    return { code, seqs, stderr };
  }

  it("rides out a server paused for less than the retry budget: every message, exit 0", async () => {
    const stream = await newStream([], "PAUSE");
    await publishEvents(server.url, stream, 20_000);
    // the case: 12 s, within the default 15 s budget (3 x --timeout 5s); the read
    // starts again after 5 s of silence, while the server is still paused
    const r = await viewWithPause([stream], () => delay(12_000));
    expect(r.code, r.stderr).toBe(0);
    expect(r.seqs).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
  }, 60_000);

  it("a read the paused server stops early exits 6 and names the last sequence printed", async () => {
    const stream = await newStream([], "PAUSE");
    await publishEvents(server.url, stream, 20_000);
    // paused until view gives up (the 6 s budget), then resumed
    const r = await viewWithPause([stream, "--timeout", "2s"], (exited) =>
      waitFor(exited, 30_000, "view to exit"),
    );
    expect(r.code, r.stderr).toBe(6);
    const last = r.seqs[r.seqs.length - 1]!;
    expect(r.seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(last).toBeLessThan(20_000);
    // view --json: the error is one JSON object on stderr (docs/output.md)
    expect(JSON.parse(r.stderr)).toEqual({
      error: {
        message: `view stopped early: ${last} of 20000 messages shown (the last printed at stream sequence ${last}; go on with --seq ${last + 1}): no message came within 6s (the retry budget, 3 x --timeout): the server did not answer`,
        exit: 6,
      },
    });
  }, 60_000);

  it("ends quietly when stdout closes early (| head -1)", async () => {
    const stream = await newStream([], "P");
    await publishEvents(server.url, stream, 2000);
    const { code, stdout, stderr } = await shellPipeline(
      `${CLI_COMMAND} view ${stream} --json | head -1`,
      { NATS_URL: server.url },
    );
    expect(stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(stdout).seq).toBe(1);
    expect(code).toBe(0);
    expect(stderr.trim()).toBe("");
  });
});
