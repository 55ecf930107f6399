// Widths through a real pseudo-terminal (util-linux `script`, `stty cols N`): what a
// person sees in an 80-column terminal fits it; wide terminals and pipes get everything.

import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, cleanEnv, runCli, uniqueStream, waitFor, cliAgainst } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { visibleLength } from "../../src/output/format.js";

let server: TestServer;
const { ts, newStream } = cliAgainst(() => server.url);

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

/** The widest line, by display width (CJK and emoji 2 columns, combining marks 0). */
const widest = (output: string) =>
  screenLines(output).reduce((w, l) => (visibleLength(l) > visibleLength(w) ? l : w), "");

/** The subcommands a help screen lists under "Commands:" (without `help`). */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1]?.split(/\n\n/)[0] ?? "";
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((m) => m[1]!)
    .filter((n) => n !== "help");
}

/** Every help screen: the program's, then each group's and each command's, depth first. */
async function helpScreens(path: string[] = []): Promise<string[][]> {
  const help = await runCli([...path, "--help"]);
  expect(help.code, path.join(" ")).toBe(0);
  const below = await Promise.all(
    listedCommands(help.stdout).map((c) => helpScreens([...path, c])),
  );
  return [path, ...below.flat()];
}

describe("80 columns", () => {
  it("every help screen fits 80 columns, piped and in a terminal; TLS options listed once", async () => {
    const screens = await helpScreens();
    expect(screens.length).toBeGreaterThan(20);
    expect(screens).toContainEqual(["stream", "add"]);
    expect(screens).toContainEqual(["serve"]);
    for (const path of screens) {
      const piped = await runCli([...path, "--help"]);
      const line = widest(piped.stdout);
      expect(visibleLength(line), `${path.join(" ")}: ${line}`).toBeLessThanOrEqual(80);
      // a leaf's Global Options name each TLS option once (--tls-cert, not also --tlscert)
      for (const natscli of ["--tlscert", "--tlskey", "--tlsca"])
        expect(piped.stdout, path.join(" ")).not.toMatch(new RegExp(`^ +${natscli} `, "m"));
    }
    // in a terminal 80 columns wide too (commander wraps to the terminal's width)
    for (const path of screens) {
      const run = pty(cli(...path, "--help"), 80);
      expect(await run.exited).toBe(0);
      const line = widest(run.output());
      expect(visibleLength(line), `${path.join(" ")}: ${line}`).toBeLessThanOrEqual(80);
      // no word is cut by the terminal: the exit codes footer breaks between words
      if (path.length === 0) expect(run.output()).toMatch(/stopped by\r?\nSIGINT\/SIGTERM\./);
    }
  }, 120_000);

  it("nothing in the demo workflow is wider than the terminal", async () => {
    const run = pty([process.execPath, "scripts/demo.mjs"], 80);
    expect(await run.exited).toBe(0);
    const lines = screenLines(run.output());
    expect(lines.some((l) => l.includes("Streams"))).toBe(true);
    expect(lines.some((l) => /Published 1,000 events/.test(l))).toBe(true);
    const line = widest(run.output());
    expect(visibleLength(line), line).toBeLessThanOrEqual(80);
  }, 90_000);

  it("stream ls drops and cuts columns at 80, shows every column when wide or piped", async () => {
    const name = `${uniqueStream("COLUMNS")}_WITH_A_LONG_NAME`;
    expect(
      (await ts(["stream", "add", name, "--description", "x".repeat(60), "--max-age", "1h"])).code,
    ).toBe(0);
    const narrow = pty(cli("stream", "ls"), 80);
    expect(await narrow.exited).toBe(0);
    expect(visibleLength(widest(narrow.output()))).toBeLessThanOrEqual(80);
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
    const stream = await newStream([], "CONSUMERS80");
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
    expect(visibleLength(widest(narrow.output()))).toBeLessThanOrEqual(80);
    expect(narrow.output()).toContain("Unprocessed");
    const wide = pty(cli("consumer", "ls", stream), 250);
    expect(await wide.exited).toBe(0);
    expect(wide.output()).toContain("y".repeat(50));
    expect(wide.output()).toContain("Created");
  });

  it("listen cuts a long message with … on a terminal only; likes do not repeat the id", async () => {
    const stream = await newStream([], "LISTEN80");
    const long = `a long tweet ${"word ".repeat(20)}end`;
    const id = (await ts(["tweet", long, "--stream", stream, "--json"])).json().event.id;
    await ts(["like", id, "--stream", stream, "--author", "alice"]);
    const args = ["listen", "--stream", stream, "--count", "2", "--timeout", "10s"];
    const narrow = pty(cli(...args), 80);
    expect(await narrow.exited).toBe(0);
    const lines = screenLines(narrow.output());
    expect(visibleLength(widest(narrow.output()))).toBeLessThanOrEqual(80);
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

  it("a bulk summary breaks between items: no lone comma, no split word", async () => {
    // "Published 1,000 events to stream <34 columns> (seq 1-1000)" is 80 columns: the
    // comma after it used to go alone to the next line
    const stream = "WRAPTEST_ABCDEFGHIJK_LMNOPQRSTUVWX";
    await ts(["stream", "rm", stream, "--force"]);
    expect((await ts(["stream", "add", stream])).code).toBe(0);
    try {
      const run = pty(cli("tweet", "y", "--count", "1000", "--stream", stream), 80);
      expect(await run.exited).toBe(0);
      const lines = screenLines(run.output());
      expect(lines.some((l) => /Published 1,000 events/.test(l))).toBe(true);
      expect(visibleLength(widest(run.output())), widest(run.output())).toBeLessThanOrEqual(80);
      // the progress counts against N (item 19), when the run lasts long enough to draw it
      for (const l of lines.filter((x) => /\d published/.test(x)))
        expect(l).toMatch(/[\d,]+ of 1,000 published/);
      for (const l of lines) expect(l.trim(), run.output()).not.toMatch(/^,/);
    } finally {
      await ts(["stream", "rm", stream, "--force"]);
    }
  });

  it("Ctrl-C in publish --file: the summary and the error after it break between words", async () => {
    const stream = await newStream([], "INTERRUPTED_WITH_A_LONGER_NAME");
    // stdin is the terminal: publish reads the lines typed, then waits for more until Ctrl-C
    const run = pty(cli("publish", "--file", "-", "--stream", stream), 80);
    for (let i = 0; i < 20; i++) run.type(`{"message":"m${i}","author":"a"}\r`);
    await waitFor(
      async () => (await ts(["stream", "info", stream, "--json"])).json().state.messages > 0,
      15_000,
      "events stored",
    );
    run.type("\u0003");
    expect(await run.exited).toBe(130);
    const lines = screenLines(run.output());
    expect(run.output()).toMatch(/Published \d/);
    expect(run.output()).toMatch(/interrupted by SIGINT/);
    for (const l of lines) {
      expect(visibleLength(l), l).toBeLessThanOrEqual(80);
      expect(l.trim(), run.output()).not.toMatch(/^,/);
    }
    // broken between words only: joined again with spaces, the phrases are whole
    const text = lines.map((l) => l.trim()).join(" ");
    expect(text).toMatch(/interrupted before the end of the input/);
    expect(text).toMatch(/every event counted as published above is stored/);
  });

  it("listen: CJK and emoji cut by display width; a non-event's warning wraps", async () => {
    const stream = await newStream([], "WIDE80");
    for (const text of ["漢字のテキスト".repeat(12), "😀🎉".repeat(30), "e\u0301".repeat(120)])
      expect((await ts(["tweet", text, "--stream", stream, "--author", "ann"])).code).toBe(0);
    await ts([
      "like",
      (await ts(["tweet", "x", "--stream", stream, "--json"])).json().event.id,
      "--stream",
      stream,
    ]);
    const { connect } = await import("nats");
    const nc = await connect({ servers: server.url });
    try {
      await nc
        .jetstream()
        .publish(`${stream}.tweet_created`, new TextEncoder().encode("not json ".repeat(20)));
    } finally {
      await nc.close();
    }
    const args = ["listen", "--stream", stream, "--count", "6", "--timeout", "10s"];
    const run = pty(cli(...args), 80);
    expect(await run.exited).toBe(0);
    const lines = screenLines(run.output());
    expect(lines.some((l) => l.includes("漢字"))).toBe(true);
    expect(lines.some((l) => l.includes("is not an event"))).toBe(true);
    for (const l of lines) expect(visibleLength(l), l).toBeLessThanOrEqual(80);
    // a tweet and a like line up: the author column starts at the same place
    const at = (re: RegExp) => {
      const l = lines.find((x) => re.test(x))!;
      return visibleLength(l.slice(0, l.indexOf("@")));
    };
    expect(at(/ tweet .*@ann/)).toBe(at(/ like .*@/));
  });

  it("tweet and like confirmations fit 80 columns and keep the whole id", async () => {
    const stream = await newStream([], "CONFIRM80");
    const tweet = pty(cli("tweet", "hi", "--stream", stream, "--author", "a_rather_long_name"), 80);
    expect(await tweet.exited).toBe(0);
    const line = screenLines(tweet.output()).find((l) => l.startsWith("Published"))!;
    const id = /tweet ([0-9a-f-]{36})/.exec(line)![1]!;
    const like = pty(cli("like", id, "--stream", stream, "--author", "a_rather_long_name"), 80);
    expect(await like.exited).toBe(0);
    for (const out of [tweet.output(), like.output()])
      expect(visibleLength(widest(out))).toBeLessThanOrEqual(80);
    expect(like.output()).toContain(id);
  });

  it("prompts fit; answering no changes nothing, yes applies (stream purge, stream edit)", async () => {
    const stream = await newStream([], "PROMPT80_LONGER_NAME");
    await ts(["tweet", "one", "--stream", stream]);
    const purge = pty(cli("stream", "purge", stream, "--subject", "tweet_created"), 80);
    await waitFor(() => purge.output().includes("[y/N]"), 15_000, "the purge prompt");
    purge.type("n\r");
    expect(await purge.exited).toBe(0);
    expect(visibleLength(widest(purge.output())), widest(purge.output())).toBeLessThanOrEqual(80);
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
    const stream = await newStream([], "SIGINT80");
    const run = pty(cli("listen", "--stream", stream, "--durable", "d"), 80);
    await waitFor(() => run.output().includes("Listening on"), 15_000, "the listener");
    expect(visibleLength(widest(run.output()))).toBeLessThanOrEqual(80);
    run.type("\u0003");
    expect(await run.exited).toBe(130);
    expect(run.output()).toMatch(/Stopped by SIGINT before any event/);
  });
});
