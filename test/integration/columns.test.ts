// Widths through a real pseudo-terminal (util-linux `script`, `stty cols N`): what a
// person sees in an 80-column terminal fits it; wide terminals and pipes get everything.

import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, cleanEnv, runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
const ts = (args: string[]) => runCli(args, { env: { NATS_URL: server.url } });

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;

interface PtyRun {
  /** everything the terminal received so far */
  output(): string;
  /** type into the terminal */
  type(text: string): void;
  exited: Promise<number | null>;
}

/** Runs `argv` in a pseudo-terminal `cols` wide (stdin, stdout and stderr all the terminal). */
function pty(argv: string[], cols: number, env: Record<string, string | undefined> = {}): PtyRun {
  const command = `stty cols ${cols} rows 40; exec ${argv.map(quote).join(" ")}`;
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    cwd: ROOT,
    env: cleanEnv({ NATS_URL: server.url, CI: undefined, TERM: "xterm", ...env }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  void exited.then(() => clearTimeout(timer));
  return { output: () => output, type: (text) => child.stdin.write(text), exited };
}

const cli = (...args: string[]) => [process.execPath, BIN, ...args];

/**
 * The lines as the terminal shows them: colours removed; carriage returns and the cursor
 * moves of spinners (ESC[1G, ESC[0K, …) start a new segment, each measured on its own.
 */
function screenLines(output: string): string[] {
  return output
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split(/\r\n|\n|\r|\u001b\[[0-9;?]*[A-Za-z]/)
    .filter((l) => l.length > 0);
}

const widest = (output: string) =>
  screenLines(output).reduce((w, l) => ([...l].length > w.length ? l : w), "");

describe("80 columns", () => {
  it("nothing in the demo workflow is wider than the terminal", async () => {
    const run = pty([process.execPath, "scripts/demo.mjs"], 80);
    expect(await run.exited).toBe(0);
    const lines = screenLines(run.output());
    expect(lines.some((l) => l.includes("Streams"))).toBe(true);
    expect(lines.some((l) => /Published 1,000 events/.test(l))).toBe(true);
    const line = widest(run.output());
    expect([...line].length, line).toBeLessThanOrEqual(80);
  }, 90_000);

  it("stream ls drops and cuts columns at 80, shows every column when wide or piped", async () => {
    const name = `${uniqueStream("COLUMNS")}_WITH_A_LONG_NAME`;
    expect(
      (await ts(["stream", "add", name, "--description", "x".repeat(60), "--max-age", "1h"])).code,
    ).toBe(0);
    const narrow = pty(cli("stream", "ls"), 80);
    expect(await narrow.exited).toBe(0);
    expect([...widest(narrow.output())].length).toBeLessThanOrEqual(80);
    expect(narrow.output()).toContain("Messages");
    expect(narrow.output()).not.toContain("Created");
    expect(narrow.output()).toContain("…");
    const wide = pty(cli("stream", "ls"), 250);
    expect(await wide.exited).toBe(0);
    for (const h of ["Name", "Description", "Created", "Messages", "Size", "Last Message"])
      expect(wide.output()).toContain(h);
    expect(wide.output()).toContain(name);
    expect(wide.output()).toContain("x".repeat(60));
    const piped = await ts(["stream", "ls"]);
    expect(piped.stdout).toContain("x".repeat(60));
  });

  it("consumer ls fits 80 columns too, and shows every column when wide", async () => {
    const stream = uniqueStream("CONSUMERS80");
    await ts(["stream", "add", stream]);
    const { connect, AckPolicy } = await import("nats");
    const nc = await connect({ servers: server.url });
    try {
      await (
        await nc.jetstreamManager()
      ).consumers.add(stream, {
        durable_name: "a_durable_with_a_rather_long_name",
        description: "y".repeat(50),
        ack_policy: AckPolicy.Explicit,
      });
    } finally {
      await nc.close();
    }
    const narrow = pty(cli("consumer", "ls", stream), 80);
    expect(await narrow.exited).toBe(0);
    expect([...widest(narrow.output())].length).toBeLessThanOrEqual(80);
    expect(narrow.output()).toContain("Unprocessed");
    const wide = pty(cli("consumer", "ls", stream), 250);
    expect(await wide.exited).toBe(0);
    expect(wide.output()).toContain("y".repeat(50));
    expect(wide.output()).toContain("Created");
  });

  it("listen cuts a long message with … on a terminal only; likes do not repeat the id", async () => {
    const stream = uniqueStream("LISTEN80");
    await ts(["stream", "add", stream]);
    const long = `a long tweet ${"word ".repeat(20)}end`;
    const id = (await ts(["tweet", long, "--stream", stream, "--json"])).json().event.id;
    await ts(["like", id, "--stream", stream, "--author", "alice"]);
    const args = ["listen", "--stream", stream, "--count", "2", "--timeout", "10s"];
    const narrow = pty(cli(...args), 80);
    expect(await narrow.exited).toBe(0);
    const lines = screenLines(narrow.output());
    expect([...widest(narrow.output())].length).toBeLessThanOrEqual(80);
    const tweetLine = lines.find((l) => l.includes("a long tweet"))!;
    expect(tweetLine).toMatch(/…$/);
    const likeLine = lines.find((l) => l.includes("@alice"))!;
    expect(likeLine.split(id.slice(0, 8)).length).toBeLessThanOrEqual(2);
    const wide = pty(cli(...args), 250);
    expect(await wide.exited).toBe(0);
    expect(wide.output()).toContain(`${long}`);
    expect(wide.output()).toContain(id);
    const piped = await runCli(args, { env: { NATS_URL: server.url } });
    expect(piped.stdout).toContain(long);
    const json = await runCli([...args, "--json"], { env: { NATS_URL: server.url } });
    expect(json.lines()[0].event.message).toBe(long);
  });

  it("tweet and like confirmations fit 80 columns and keep the whole id", async () => {
    const stream = uniqueStream("CONFIRM80");
    await ts(["stream", "add", stream]);
    const tweet = pty(cli("tweet", "hi", "--stream", stream, "--author", "a_rather_long_name"), 80);
    expect(await tweet.exited).toBe(0);
    const line = screenLines(tweet.output()).find((l) => l.startsWith("Published"))!;
    const id = /tweet ([0-9a-f-]{36})/.exec(line)![1]!;
    const like = pty(cli("like", id, "--stream", stream, "--author", "a_rather_long_name"), 80);
    expect(await like.exited).toBe(0);
    for (const out of [tweet.output(), like.output()])
      expect([...widest(out)].length).toBeLessThanOrEqual(80);
    expect(like.output()).toContain(id);
  });

  it("prompts fit; answering no changes nothing, yes applies (stream purge, stream edit)", async () => {
    const stream = uniqueStream("PROMPT80_LONGER_NAME");
    await ts(["stream", "add", stream]);
    await ts(["tweet", "one", "--stream", stream]);
    const purge = pty(cli("stream", "purge", stream, "--subject", "tweet_created"), 80);
    await waitFor(() => purge.output().includes("[y/N]"), 15_000, "the purge prompt");
    purge.type("n\r");
    expect(await purge.exited).toBe(0);
    expect([...widest(purge.output())].length, widest(purge.output())).toBeLessThanOrEqual(80);
    expect((await ts(["stream", "info", stream, "--json"])).json().state.messages).toBe(1);
    const edit = pty(cli("stream", "edit", stream, "--max-age", "2h"), 80);
    await waitFor(() => edit.output().includes("[y/N]"), 15_000, "the edit prompt");
    expect(edit.output()).toMatch(/max age: unlimited → 2h/);
    edit.type("y\r");
    expect(await edit.exited).toBe(0);
    expect((await ts(["stream", "info", stream, "--json"])).json().config.max_age).toBe(
      7_200_000_000_000,
    );
    // a change that removes stored messages says how many before it asks
    await ts(["tweet", "two", "--stream", stream]);
    const shrink = pty(cli("stream", "edit", stream, "--max-msgs", "1"), 80);
    await waitFor(() => shrink.output().includes("[y/N]"), 15_000, "the edit prompt");
    expect(shrink.output()).toMatch(/max messages: unlimited → 1 \(removes 1 stored message\)/);
    shrink.type("n\r");
    expect(await shrink.exited).toBe(0);
    expect([...widest(shrink.output())].length).toBeLessThanOrEqual(80);
    expect((await ts(["stream", "info", stream, "--json"])).json().state.messages).toBe(2);
  });

  it("Ctrl-C on listen says it stopped before any event, exit 130", async () => {
    const stream = uniqueStream("SIGINT80");
    await ts(["stream", "add", stream]);
    const run = pty(cli("listen", "--stream", stream, "--durable", "d"), 80);
    await waitFor(() => run.output().includes("Listening on"), 15_000, "the listener");
    expect([...widest(run.output())].length).toBeLessThanOrEqual(80);
    run.type("\u0003");
    expect(await run.exited).toBe(130);
    expect(run.output()).toMatch(/Stopped by SIGINT before any event/);
  });
});
