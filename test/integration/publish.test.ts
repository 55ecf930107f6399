import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { cliAgainst, runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { storedMessages } from "../helpers/stored.js";
import { startCli } from "../helpers/cli-process.js";
import { traced } from "../helpers/trace.js";

let server: TestServer;
let dir: string;
const { ts, newStream: addStream } = cliAgainst(() => server.url);
/** A fresh stream <name>.* for one test. */
const newStream = (extra: string[] = []) => addStream(extra, "P");

function file(name: string, lines: Array<string | object>): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n",
  );
  return path;
}

const event = (n: number, extra: object = {}) => ({
  messageType: "tweet_created",
  id: `t-${n}`,
  message: `hello ${n}`,
  date: `2022-01-07T22:01:${String(n % 60).padStart(2, "0")}.000Z`,
  author: "ziggornif",
  ...extra,
});

beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "ts-publish-"));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("tweet", () => {
  it("publishes the article's tweet_created event, acked, with the tweet id as Nats-Msg-Id", async () => {
    const stream = await newStream();
    const r = await ts(["tweet", "hello world !", "--stream", stream, "--json"], {
      env: { TWEETSTREAM_AUTHOR: "ziggornif" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.json();
    expect(out).toMatchObject({
      stream,
      seq: 1,
      duplicate: false,
      subject: `${stream}.tweet_created`,
      event: { messageType: "tweet_created", message: "hello world !", author: "ziggornif" },
    });
    expect(out.event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(out.event.date).toISOString()).toBe(out.event.date);
    const [stored] = await storedMessages(server.url, stream);
    expect(stored!.subject).toBe(`${stream}.tweet_created`);
    expect(stored!.msgId).toBe(out.event.id);
    expect(Object.keys(JSON.parse(stored!.data))).toEqual([
      "messageType",
      "id",
      "message",
      "date",
      "author",
    ]);
    expect(JSON.parse(stored!.data)).toEqual(out.event);
  });

  it("prints the id and sequence for people; --id twice stores once and says duplicate", async () => {
    const stream = await newStream();
    const first = await ts(["tweet", "once", "--id", "tw-1", "--stream", stream]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/tweet tw-1 .*seq 1/);
    const again = await ts(["tweet", "once", "--id", "tw-1", "--stream", stream, "--json"]);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ seq: 1, duplicate: true });
    const human = await ts(["tweet", "once", "--id", "tw-1", "--stream", stream]);
    expect(human.stdout).toMatch(/duplicate/);
    expect(await storedMessages(server.url, stream)).toHaveLength(1);
  });

  it("reads the message from stdin with -, and --author overrides TWEETSTREAM_AUTHOR", async () => {
    const stream = await newStream();
    const r = await ts(["tweet", "-", "--author", "alice", "--stream", stream, "--json"], {
      input: "héllo from stdin ✓\n",
      env: { TWEETSTREAM_AUTHOR: "bob" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().event).toMatchObject({ message: "héllo from stdin ✓", author: "alice" });
  });

  it("refuses bad input with one line and exit 2, before publishing anything", async () => {
    const stream = await newStream();
    const cases: Array<[string[], string | Buffer | undefined, RegExp]> = [
      [["tweet", ""], undefined, /message is empty/],
      [["tweet", "   "], undefined, /message is empty/],
      [["tweet", "-"], "", /message is empty/],
      [["tweet", "-"], Buffer.from([0x68, 0xff, 0xfe]), /not valid UTF-8/],
      [["tweet", "hi", "--id", "has space"], undefined, /must not contain whitespace/],
      [["tweet", "hi", "--author", ""], undefined, /--author/],
      [["tweet", "hi", "--count", "0"], undefined, /--count/],
      [["tweet", "hi", "--count", "3", "--id", "fixed"], undefined, /\{\{n\}\}/],
      [["tweet", "-"], "x".repeat(1024 * 1024 + 10), /max_payload/],
      [["like", "a\tb"], undefined, /must not contain whitespace/],
    ];
    for (const [args, input, message] of cases) {
      const r = await ts([...args, "--stream", stream], { input });
      expect(r.code, args.join(" ").slice(0, 60)).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(await storedMessages(server.url, stream)).toHaveLength(0);
  });

  it("--count publishes n tweets pipelined, with {{n}} in the message and id", async () => {
    const stream = await newStream();
    const r = await ts([
      "tweet",
      "load {{n}}",
      "--id",
      "load-{{n}}",
      "--count",
      "300",
      "--window",
      "32",
      "--stream",
      stream,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({
      published: 300,
      duplicates: 0,
      failed: 0,
      first_seq: 1,
      last_seq: 300,
    });
    const stored = await storedMessages(server.url, stream);
    expect(stored).toHaveLength(300);
    const byId = new Map(stored.map((m) => [m.msgId, JSON.parse(m.data)]));
    expect(byId.get("load-7")).toMatchObject({ id: "load-7", message: "load 7" });
    // the same ids again: nothing new is stored
    const again = await ts(["tweet", "load {{n}}", "--id", "load-{{n}}", "-n", "300"], {
      env: { TWEETSTREAM_STREAM: stream },
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Published 0 .*300 duplicates, 0 failed/);
  });
});

describe("like", () => {
  it("publishes tweet_liked for the tweet; two different likes of one tweet are both stored", async () => {
    const stream = await newStream();
    const tweet = await ts(["tweet", "hello world !", "--stream", stream, "--json"]);
    const id = tweet.json().event.id as string;
    const a = await ts(["like", id, "--author", "alice", "--stream", stream, "--json"]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.json()).toMatchObject({
      seq: 2,
      duplicate: false,
      subject: `${stream}.tweet_liked`,
      event: { messageType: "tweet_liked", id, message: "", author: "alice" },
    });
    const b = await ts(["like", id, "--author", "bob", "--stream", stream]);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(new RegExp(`like of tweet ${id} by bob .*seq 3`));
    const stored = await storedMessages(server.url, stream);
    expect(stored).toHaveLength(3);
    const likeIds = stored.slice(1).map((m) => m.msgId);
    expect(likeIds[0]).not.toBe(id);
    expect(likeIds[0]).not.toBe(likeIds[1]);
  });
});

describe("publish --file", () => {
  it("publishing the same file twice stores every event once (tweets and likes)", async () => {
    const stream = await newStream();
    const lines: object[] = [];
    for (let n = 1; n <= 200; n++) lines.push(event(n));
    // several likes of one tweet, by different people and at different times
    for (const [author, s] of [
      ["alice", 1],
      ["bob", 2],
      ["alice", 3],
    ] as const) {
      lines.push({
        messageType: "tweet_liked",
        id: "t-1",
        message: "",
        date: `2022-01-08T10:00:0${s}Z`,
        author,
      });
    }
    const path = file("twice.ndjson", lines);
    const first = await ts(["publish", "--file", path, "--stream", stream, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe(""); // no spinner, no notes without a terminal
    expect(first.json()).toMatchObject({
      published: 203,
      duplicates: 0,
      failed: 0,
      lines: 203,
      aborted: false,
    });
    const second = await ts(["publish", "--file", path, "--stream", stream, "--json"]);
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ published: 0, duplicates: 203, failed: 0 });
    const stored = await storedMessages(server.url, stream);
    expect(stored).toHaveLength(203);
    expect(stored.filter((m) => m.subject === `${stream}.tweet_liked`)).toHaveLength(3);
    // stored exactly as given
    expect(JSON.parse(stored[0]!.data)).toEqual(event(1));
  });

  it("reports each bad line by number, publishes the others, exits 2", async () => {
    const stream = await newStream();
    const path = join(dir, "bad.ndjson");
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from(JSON.stringify(event(1)) + "\n"),
        Buffer.from("{not json\n"),
        Buffer.from("\n"), // blank lines are skipped, but counted
        Buffer.from('{"messageType":"tweet_created","id":"t-9","message":"\xff'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('","date":"2022-01-07T22:01:27Z","author":"a"}\n'),
        Buffer.from(JSON.stringify(event(2, { id: "with space" })) + "\n"),
        Buffer.from(JSON.stringify(event(3, { message: "" })) + "\n"),
        Buffer.from(JSON.stringify(event(4, { date: "2022-02-30T00:00:00Z" })) + "\n"),
        Buffer.from(JSON.stringify(event(5, { message: "x".repeat(1024 * 1024) })) + "\n"),
        Buffer.from('["an array"]\r\n'),
        Buffer.from(JSON.stringify(event(6)) + "\r\n"),
        Buffer.from(JSON.stringify(event(7))), // no final newline
      ]),
    );
    const r = await ts(["publish", "--file", path, "--stream", stream]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Published 3 .*0 duplicates, 7 failed/);
    const errors = r.stderr.trim().split("\n");
    expect(errors).toHaveLength(8);
    expect(errors[0]).toMatch(/^error: line 2: invalid JSON/);
    expect(errors[1]).toMatch(/^error: line 4: invalid UTF-8$/);
    expect(errors[2]).toMatch(/^error: line 5: .*whitespace/);
    expect(errors[3]).toMatch(/^error: line 6: .*message must not be empty/);
    expect(errors[4]).toMatch(/^error: line 7: .*no such day/);
    expect(errors[5]).toMatch(
      /^error: line 8: line is 1,048,\d{3} bytes, over the server's max_payload/,
    );
    expect(errors[6]).toMatch(/^error: line 9: .*not a JSON object/);
    expect(errors[7]).toMatch(/^error: 7 of 10 events failed$/);
    const ids = (await storedMessages(server.url, stream)).map((m) => m.msgId).sort();
    expect(ids).toEqual(["t-1", "t-6", "t-7"]);

    const json = await ts(["publish", "--file", path, "--stream", stream, "--json"]);
    expect(json.code).toBe(2);
    const summary = json.json();
    // every line holding an event is accounted for; the blank one is counted apart
    expect(summary).toMatchObject({
      published: 0,
      duplicates: 3,
      failed: 7,
      not_sent: 0,
      not_read: 0,
      lines: 10,
      blank_lines: 1,
    });
    expect(summary.failures.map((f: { line: number }) => f.line)).toEqual([2, 4, 5, 6, 7, 8, 9]);
    expect(summary.failures[0].exit_code).toBe(2);
  });

  it("--fail-fast stops at the first bad line", async () => {
    const stream = await newStream();
    const lines: Array<string | object> = [event(1), "oops"];
    for (let n = 2; n <= 50; n++) lines.push(event(n));
    const r = await ts(["publish", "--file", file("ff.ndjson", lines), "--fail-fast"], {
      env: { TWEETSTREAM_STREAM: stream },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2: invalid JSON/);
    expect(r.stderr).toMatch(/stopped at line 2/);
    expect(await storedMessages(server.url, stream)).toHaveLength(1);
  });

  it("--fail-fast accounts for every line, those never read included, in JSON and in words", async () => {
    const stream = await newStream();
    // far more than one read of the file holds: most lines are never read after the stop
    const lines: Array<string | object> = [event(1), "oops", ""];
    for (let n = 2; n <= 19_999; n++) lines.push(event(n));
    const path = file("ff-count.ndjson", lines);
    const env = { TWEETSTREAM_STREAM: stream };
    const json = await ts(["publish", "--file", path, "--fail-fast", "--json"], { env });
    expect(json.code).toBe(2);
    const s = json.json();
    expect(s.lines).toBe(20_000);
    expect(s.blank_lines).toBe(1);
    expect(s.not_read).toBeGreaterThan(0);
    expect(s.published + s.duplicates + s.failed + s.not_sent + s.not_read).toBe(s.lines);
    // under --json the error is one JSON object on stderr (docs/output.md)
    const error = JSON.parse(json.stderr.trim().split("\n").at(-1)!) as {
      error: { message: string };
    };
    expect(error.error.message).toMatch(/^1 of 20,000 events failed \(stopped at line 2/);

    const human = await ts(["publish", "--file", path, "--fail-fast"], { env });
    expect(human.code).toBe(2);
    const words = human.stdout.replace(/\s+/g, " ");
    const count = (what: string) =>
      Number((new RegExp(`([\\d,]+) ${what}`).exec(words)?.[1] ?? "NaN").replace(/,/g, ""));
    expect(
      count("events? to stream") +
        count("duplicates?") +
        count("failed") +
        count("not sent") +
        count("not read"),
    ).toBe(20_000);
    expect(human.stderr).toMatch(/error: 1 of 20,000 events failed/);
  });

  it("reads stdin with --file -, and accepts the documented short form", async () => {
    const stream = await newStream();
    const input =
      JSON.stringify({ message: "short" }) +
      "\n" +
      JSON.stringify({ messageType: "tweet_liked", id: "t-1", date: "2022-01-07t22:01:27z" }) +
      "\n";
    const r = await ts(["publish", "--file", "-", "--author", "carol", "--json"], {
      input,
      env: { TWEETSTREAM_STREAM: stream },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ published: 2, failed: 0 });
    const [tweet, like] = (await storedMessages(server.url, stream)).map((m) => JSON.parse(m.data));
    expect(tweet).toMatchObject({
      messageType: "tweet_created",
      message: "short",
      author: "carol",
    });
    expect(tweet.id).toMatch(/^[0-9a-f-]{36}$/);
    // Go's time.Time needs the upper-case T and Z
    expect(like).toMatchObject({
      id: "t-1",
      message: "",
      author: "carol",
      date: "2022-01-07T22:01:27Z",
    });
  });

  it("a missing or unreadable file is exit 2 without contacting the server", async () => {
    for (const path of [join(dir, "nope.ndjson"), dir]) {
      const r = await runCli(["publish", "--file", path], {
        env: { NATS_URL: "nats://127.0.0.1:1" },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot read --file/);
    }
    const missing = await runCli(["publish"]);
    expect(missing.code).toBe(2);
  });
});

describe("interrupting a bulk publish", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s while waiting for more input: in-flight acks, the summary, exit %d",
    async (signal, exitCode) => {
      const stream = await newStream();
      const child = startCli(["publish", "--file", "-", "--stream", stream, "--json"], {
        url: server.url,
        stdin: "pipe",
      });
      // 40 events, then stdin stays open: the command is waiting for more input
      child.stdin!.write(
        Array.from({ length: 40 }, (_, i) => JSON.stringify(event(i + 1))).join("\n") + "\n",
      );
      await waitFor(
        async () => (await storedMessages(server.url, stream)).length === 40,
        15_000,
        "40 stored events",
      );
      child.kill(signal);
      const code = await child.exited;
      child.stdin!.destroy();
      const stderr = child.stderr();
      expect(code, stderr).toBe(exitCode);
      const summary = JSON.parse(child.stdout());
      expect(summary).toMatchObject({ published: 40, failed: 0, interrupted: true });
      expect(stderr).toContain(`interrupted by ${signal}`);
      expect(stderr.trim().split("\n")).toHaveLength(1);
    },
  );
});

describe("failures are never reported as success", () => {
  it("no stream for the subject: exit 4 suggesting stream add (tweet, like, publish)", async () => {
    const stream = uniqueStream("NONE");
    const path = file("nostream.ndjson", [event(1), event(2)]);
    for (const args of [
      ["tweet", "hello"],
      ["like", "t-1"],
      ["publish", "--file", path],
    ]) {
      const r = await ts([...args, "--stream", stream]);
      expect(r.code, args[0]).toBe(4);
      expect(r.stderr).toContain(`no stream stores subject ${stream}.`);
      expect(r.stderr).toContain(`create one with: tweetstream stream add ${stream}`);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it("unreachable server: exit 3 within the timeout", async () => {
    for (const args of [
      ["tweet", "hello"],
      ["like", "t-1"],
    ]) {
      const started = Date.now();
      const r = await runCli([...args, "--timeout", "1s"], {
        env: { NATS_URL: "nats://127.0.0.1:1" },
      });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/cannot connect/);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  describe("a lost acknowledgement", () => {
    // A plain NATS responder stands in for the stream on a subject no stream stores, so
    // the test decides which acks arrive: it sees every attempt the CLI makes.
    let nc: NatsConnection;
    beforeAll(async () => {
      nc = await connect({ servers: server.url });
    });
    afterAll(async () => nc?.close());

    function responder(subject: string, answerFrom: number) {
      const seen: Array<string | undefined> = [];
      nc.subscribe(subject, {
        callback: (_err, msg) => {
          seen.push(msg.headers?.get("Nats-Msg-Id"));
          if (seen.length >= answerFrom)
            msg.respond(new TextEncoder().encode(JSON.stringify({ stream: "FAKE", seq: 42 })));
        },
      });
      return seen;
    }

    it("is retried with the same Nats-Msg-Id, and succeeds when an ack arrives", async () => {
      const stream = uniqueStream("LOST");
      const seen = responder(`${stream}.tweet_created`, 2);
      await nc.flush();
      const r = await ts([
        "tweet",
        "hi",
        "--id",
        "retry-me",
        "--stream",
        stream,
        "--timeout",
        "1s",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(seen).toEqual(["retry-me", "retry-me"]);
    });

    it("never arriving: exit 6 when the retry budget (3 x --timeout) runs out, saying it may be stored", async () => {
      const stream = uniqueStream("LOST");
      const seen = responder(`${stream}.tweet_created`, Infinity);
      await nc.flush();
      const r = await ts(["tweet", "hi", "--id", "lost", "--stream", stream, "--timeout", "1s"]);
      expect(r.code).toBe(6);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(
        /no JetStream answer within 3s .*\(timed out, \d attempts\); .* may or may not be stored: publishing again with the same id is safe/,
      );
      expect(r.stderr).not.toMatch(/create one/);
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(new Set(seen)).toEqual(new Set(["lost"]));
    });
  });
});

describe("duplicate window", () => {
  it("a retry inside the window is a duplicate, stored once", async () => {
    // a window far longer than two runs of the CLI take, however loaded the machine
    const stream = await newStream(["--dupe-window", "2m"]);
    const args = ["tweet", "window", "--id", "dw-in", "--stream", stream, "--json"];
    const first = await ts(args);
    expect([first.code, first.json()]).toMatchObject([0, { seq: 1, duplicate: false }]);
    const inside = await ts(args);
    expect([inside.code, inside.json()]).toMatchObject([0, { seq: 1, duplicate: true }]);
    expect(await storedMessages(server.url, stream)).toHaveLength(1);
  });

  it("after the window, the same id is stored again", async () => {
    const stream = await newStream(["--dupe-window", "2s"]);
    const args = ["tweet", "window", "--id", "dw-after", "--stream", stream, "--json"];
    const first = await ts(args);
    expect([first.code, first.json()]).toMatchObject([0, { seq: 1, duplicate: false }]);
    // retries inside the window store nothing; the first one after it is stored, as seq 2
    const after = await waitFor(
      async () => {
        const r = await ts(args);
        expect(r.code).toBe(0);
        return r.json().duplicate === false ? r.json() : undefined;
      },
      15_000,
      "the duplicate window to pass",
    );
    expect(after.seq).toBe(2);
    expect(await storedMessages(server.url, stream)).toHaveLength(2);
  });
});

describe("start-up and help", () => {
  it("tweet loads neither ora nor cli-table3, and --help not even the NATS client", async () => {
    const stream = await newStream();
    const r = await traced(["tweet", "lean", "--stream", stream], { NATS_URL: server.url });
    expect(r.code).toBe(0);
    expect(r.loads).toMatch(/node_modules\/nats\//);
    expect(r.loads).not.toMatch(/node_modules\/(ora|cli-table3)\//);
    // (the other commands' modules are in dist/cli.js too, evaluated only when imported:
    // scripts/build.mjs; their cost shows in `npm run bench -- startup`)
    for (const cmd of ["tweet", "like", "publish"]) {
      const h = await traced([cmd, "--help"]);
      expect(h.code).toBe(0);
      expect(h.loads).not.toMatch(/node_modules\/(nats|ora|cli-table3)\//);
    }
  });

  it("finds the command after global options with values; suggests on a typo", async () => {
    const stream = await newStream();
    const r = await runCli(["-s", server.url, "--stream", stream, "tweet", "x", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().stream).toBe(stream);
    const typo = await runCli(["twet", "x"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean tweet/);
  });

  it("every publishing command's --help has examples", async () => {
    for (const cmd of ["tweet", "like", "publish"]) {
      const r = await runCli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:\n\s+\$ tweetstream/);
    }
  });
});
