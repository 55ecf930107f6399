// Hostile or bad input: terminal escapes from the stream or argv never reach the terminal
// raw, invalid UTF-8 in argv is refused, durations out of range are exit 2, configuration
// mistakes are 2/3 (not 1), and Ctrl-C at a [y/N] prompt cancels with exit 130.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, cleanEnv, cliAgainst, uniqueStream, waitFor } from "../helpers/cli.js";
import { AckPolicy } from "nats";
import { publishRaw, withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
let dir: string;
const { ts, newStream: addStream } = cliAgainst(() => server.url);
/** A fresh stream <name>.* for one test. */
const newStream = (extra: string[] = []) => addStream(extra, "H");

beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "ts-hostile-"));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// ESC ] 0 ; … BEL retitles a terminal; ESC [ 2 J clears it; U+009B is the 8-bit CSI
const OSC = "\u001b]0;pwned\u0007";
const CLEAR = "\u001b[2J";
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("terminal escapes are made safe", () => {
  it("listen shows a like's id from the stream escaped", async () => {
    const stream = await newStream();
    const like = {
      messageType: "tweet_liked",
      id: `x${CLEAR}${OSC}\u009b31m`,
      message: "",
      date: "2022-01-07T22:01:27Z",
      author: `a${OSC}`,
    };
    await publishRaw(server.url, [
      { subject: `${stream}.tweet_liked`, data: JSON.stringify(like) },
    ]);
    const r = await ts(["listen", "--stream", stream, "--count", "1", "--timeout", "5s"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain("  x\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31m");
    expect(r.stdout).toContain("@a\\u001b]0;pwned\\u0007");
    const view = await ts(["view", "--stream", stream]);
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout).not.toMatch(RAW_CONTROL);
  });

  it("stream and consumer listings show descriptions from the server escaped", async () => {
    const stream = await newStream(["--description", `desc${OSC}`]);
    await withConnection(server.url, async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.add(stream, {
        durable_name: "C1",
        description: `consumer${CLEAR}`,
        ack_policy: AckPolicy.Explicit,
      });
    });
    for (const args of [
      ["stream", "ls"],
      ["stream", "info", stream],
      ["consumer", "ls", stream],
      ["consumer", "info", stream, "C1"],
    ]) {
      const r = await ts(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(" ")).not.toMatch(RAW_CONTROL);
    }
  });

  it("tweet and like confirmations and error messages do not echo escapes from argv", async () => {
    const stream = await newStream();
    const t = await ts(["tweet", "hi", "--id", `id${OSC}`, "--stream", stream]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).not.toMatch(RAW_CONTROL);
    expect(t.stdout).toContain("id\\u001b]0;pwned\\u0007");
    const l = await ts(["like", `id${OSC}`, "--author", `me${CLEAR}`, "--stream", stream]);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).not.toMatch(RAW_CONTROL);
    const bad = await ts(["stream", "info", `BAD${OSC}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid stream name/);
    expect(bad.stderr).not.toMatch(RAW_CONTROL);
    const unknown = await ts(["tweet", "x", `--bogus${CLEAR}`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).not.toMatch(RAW_CONTROL);
  });
});

describe("invalid UTF-8 in argv", () => {
  it("is refused with exit 2 before anything is published; stdin too", async () => {
    const stream = await newStream();
    const bad = Buffer.from([0x68, 0x69, 0xff, 0xfe]); // "hi" + two bytes that are not UTF-8
    // the shell passes the bytes as they are (Node would re-encode a JS string)
    const viaShell = spawnSync(
      "/bin/sh",
      [
        "-c",
        `exec "$0" "$1" tweet --stream "$2" "$(printf 'hi\\377\\376')"`,
        process.execPath,
        BIN,
        stream,
      ],
      { env: cleanEnv({ NATS_URL: server.url }), encoding: "utf8" },
    );
    expect(viaShell.status, viaShell.stderr).toBe(2);
    expect(viaShell.stderr).toMatch(/not valid UTF-8/);
    const stdin = await ts(["tweet", "-", "--stream", stream], { input: bad });
    expect(stdin.code).toBe(2);
    const count = await ts(["stream", "info", stream, "--json"]);
    expect(count.json().state.messages).toBe(0);
    // a U+FFFD typed on purpose is text
    const typed = await ts(["tweet", "replacement \uFFFD char", "--stream", stream]);
    expect(typed.code, typed.stderr).toBe(0);
  });
});

describe("durations out of range", () => {
  it.each([
    [["--timeout", "0", "stream", "ls"], /--timeout "0": it must be more than 0/],
    [["--timeout", "2147483648ms", "stream", "ls"], /--timeout "2147483648ms": at most 24d/],
    [["--timeout", "30d", "tweet", "x"], /at most/],
    [["listen", "--timeout", "0s", "--count", "1"], /--timeout "0s": it must be more than 0/],
    [["listen", "--ack-wait", "25d"], /--ack-wait "25d": at most/],
    [["serve", "--grace", "0"], /--grace "0"/],
    [["stream", "add", "X", "--dupe-window", "0"], /--dupe-window "0"/],
    [["stream", "add", "X", "--max-age", "300y"], /--max-age "300y": at most/],
  ])("%j is exit 2", async (args, message) => {
    const r = await ts(args as string[]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/);
  });

  it("--max-age 0 is still 'unlimited', and 30d is fine", async () => {
    const maxAge = async (stream: string) =>
      (await ts(["stream", "info", stream, "--json"])).json().config.max_age;
    expect(await maxAge(await newStream(["--max-age", "0"]))).toBe(0);
    expect(await maxAge(await newStream(["--max-age", "30d"]))).toBe(30 * 24 * 3600 * 1e9);
  });
});

describe("configuration mistakes are 2 or 3, never 1", () => {
  const creds = () => {
    const path = join(dir, "garbage.creds");
    writeFileSync(path, "not a creds file\n");
    return path;
  };
  const nkey = () => {
    const path = join(dir, "garbage.nk");
    writeFileSync(path, "SUAGARBAGESEED\n");
    return path;
  };
  it.each([
    [
      "an invalid server URL",
      () => ["-s", "nats://bad host:99", "stream", "ls"],
      2,
      /invalid server URL/,
    ],
    [
      "a port that is not a number",
      () => ["-s", "nats://127.0.0.1:port", "stream", "ls"],
      2,
      /invalid server URL/,
    ],
    [
      "a missing TLS file",
      () => ["--tls-ca", join(dir, "nope.pem"), "stream", "ls"],
      2,
      /cannot read the --tls-ca file .*ENOENT/,
    ],
    [
      "TLS options against a server without TLS",
      () => ["--tls-ca", "/dev/null", "stream", "ls"],
      3,
      /does not offer TLS/,
    ],
    ["a malformed nkey seed", () => ["--nkey", nkey(), "stream", "ls"], 3, /invalid nkey seed/],
    ["a malformed creds file", () => ["--creds", creds(), "stream", "ls"], 3, /./],
    [
      "--replicas 3 on one server",
      () => ["stream", "add", uniqueStream("R3"), "--replicas", "3"],
      2,
      /replicas > 1 not supported/,
    ],
    [
      "--dupe-window 1ms",
      () => ["stream", "add", uniqueStream("DW"), "--dupe-window", "1ms"],
      2,
      /duplicates window/,
    ],
    [
      "a dupe window beyond max age",
      () => ["stream", "add", uniqueStream("DW"), "--max-age", "1s", "--dupe-window", "2m"],
      2,
      /duplicates window/,
    ],
    [
      "--subjects '>'",
      () => ["stream", "add", uniqueStream("GT"), "--subjects", ">"],
      2,
      /would capture JetStream's API/,
    ],
  ])("%s", async (_what, args, code, message) => {
    const r = await ts([...args(), "--timeout", "2s"]);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});

describe("stream add --discard (a full stream on purpose)", () => {
  it("new refuses, old drops the oldest", async () => {
    const refuse = await newStream(["--max-msgs", "1", "--discard", "new"]);
    expect((await ts(["tweet", "a", "--stream", refuse])).code).toBe(0);
    expect((await ts(["tweet", "b", "--stream", refuse])).code).toBe(5);
    const drop = await newStream(["--max-msgs", "1", "--discard", "old"]);
    expect((await ts(["tweet", "a", "--stream", drop])).code).toBe(0);
    expect((await ts(["tweet", "b", "--stream", drop])).code).toBe(0);
    const again = await ts(["stream", "add", refuse, "--max-msgs", "1", "--discard", "old"]);
    expect(again.code).toBe(5); // a different discard policy is a different configuration
    expect(again.stderr).toMatch(/discard is new, requested old/);
  });
});

describe("Ctrl-C and Ctrl-D at a [y/N] prompt", () => {
  /** Runs `stream rm` under a pseudo-terminal (script(1)) and types `keys` at the prompt. */
  async function atPrompt(stream: string, keys: string) {
    const child = spawn(
      "script",
      ["-qec", `"${process.execPath}" "${BIN}" stream rm ${stream}`, "/dev/null"],
      { env: cleanEnv({ NATS_URL: server.url, TERM: "dumb" }), stdio: ["pipe", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    await waitFor(() => out.includes("[y/N]"), 15_000, "the prompt");
    child.stdin.write(keys);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { code, out };
  }

  it.runIf(spawnSync("script", ["--version"]).status === 0)(
    "Ctrl-C cancels with exit 130 and one plain line; Ctrl-D is no; nothing is deleted",
    async () => {
      const stream = await newStream();
      const c = await atPrompt(stream, "\u0003");
      expect(c.code).toBe(130);
      expect(c.out).toMatch(new RegExp(`Cancelled; did not delete stream ${stream}`));
      expect(c.out).not.toMatch(/internal error|Aborted/);
      const d = await atPrompt(stream, "\u0004");
      expect(d.code).toBe(0);
      expect(d.out).toMatch(/Cancelled; nothing was deleted/);
      expect((await ts(["stream", "info", stream])).code).toBe(0);
    },
  );
});
