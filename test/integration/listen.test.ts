import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { pauseProcess } from "../helpers/pause.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as natsConnect } from "nats";
import { CLI_COMMAND, killAll, shellPipeline, startCli } from "../helpers/cli-process.js";
import { fixtureEvent, publishEvents, publishRaw, withConnection } from "../helpers/fixtures.js";

let server: TestServer;
const { ts, streamWithEvents } = cliAgainst(() => server.url);

/** A fresh stream with `events` fixture events in it. */
const newStream = (events = 0) => streamWithEvents(events, "L");

/** `tweetstream listen --stream <stream> …args` against the shared server. */
const listen = (stream: string, args: string[]) => ts(["listen", "--stream", stream, ...args]);

const seqs = (r: { lines(): Array<{ seq: number }> }) => r.lines().map((l) => l.seq);

/** A `listen --json` that keeps running (test/helpers/cli-process.ts): its NDJSON lines as they come. */
function startListen(url: string, args: string[]) {
  const run = startCli(["listen", "--json", ...args], { url });
  return {
    ...run,
    // only complete lines: a SIGKILL can cut the last one
    lines: (): Array<{ seq: number; delivered: number }> =>
      run
        .stdout()
        .split("\n")
        .slice(0, -1)
        .map((l) => JSON.parse(l)),
  };
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  killAll();
  await server?.stop();
});

describe("listen", () => {
  it("prints each event as NDJSON and a durable resumes after the last acknowledged one", async () => {
    const stream = await newStream(10);
    const a = await listen(stream, ["--durable", "d", "--count", "4", "--json"]);
    expect(a.code).toBe(0);
    expect(seqs(a)).toEqual([1, 2, 3, 4]);
    expect(a.lines()[0]).toEqual({
      stream,
      consumer: "d",
      seq: 1,
      subject: `${stream}.tweet_created`,
      time: expect.any(String),
      delivered: 1,
      redelivered: false,
      event: {
        messageType: "tweet_created",
        id: "tweet-0",
        message: "hello world 0",
        date: "2026-01-01T00:00:00.000Z",
        author: "user0",
      },
    });
    const b = await listen(stream, ["--durable", "d", "--count", "4", "--json"]);
    expect(seqs(b)).toEqual([5, 6, 7, 8]);
    const c = await listen(stream, ["--durable", "d", "--timeout", "1s", "--json"]);
    expect(c.code).toBe(0);
    expect(seqs(c)).toEqual([9, 10]);
  });

  it("prints one line per event without --json: time, type, id, author, message", async () => {
    const stream = await newStream(2);
    const r = await listen(stream, ["--count", "2"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  tweet_created  tweet-0  @user0  hello world 0$/,
    );
    // a like does not repeat the id as its message
    expect(lines[1]).toMatch(/tweet_liked {4}tweet-0  @user1$/);
  });

  it("--timeout is an idle timeout: exit 6 when --count was not reached, else 0", async () => {
    const stream = await newStream(2);
    const started = Date.now();
    const short = await listen(stream, ["--count", "5", "--timeout", "1s", "--json"]);
    expect(short.code).toBe(6);
    expect(seqs(short)).toEqual([1, 2]);
    expect(short.stderr).toMatch(/no event for 1s: got 2 of 5/);
    expect(Date.now() - started).toBeLessThan(15_000);
    const open = await listen(stream, ["--timeout", "1s", "--json"]);
    expect(open.code).toBe(0);
    expect(seqs(open)).toEqual([1, 2]);
    const none = await listen(stream, ["--deliver", "new", "--count", "1", "--timeout", "1s"]);
    expect(none.code).toBe(6);
    expect(none.stdout).toBe("");
  });

  it("waits for the next event (the CI recipe) and filters by subject", async () => {
    const stream = await newStream(0);
    const waiting = listen(stream, [
      "--durable",
      "ci",
      "--subject",
      "tweet_liked",
      "--count",
      "1",
      "--timeout",
      "20s",
      "--json",
    ]);
    // the durable exists once the listener is up; then publish a tweet (filtered out) and a like
    await waitFor(
      async () => {
        const r = await ts(["stream", "info", stream, "--json"]);
        return r.code === 0 && r.json().state.consumer_count === 1;
      },
      15_000,
      "the listener's consumer",
    );
    await publishEvents(server.url, stream, 2);
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(r.lines()).toHaveLength(1);
    expect(r.lines()[0]).toMatchObject({ seq: 2, subject: `${stream}.tweet_liked` });
  });

  it("writes malformed payloads raw with a warning, acknowledges them and carries on", async () => {
    const stream = await newStream(0);
    await publishRaw(server.url, [
      { subject: `${stream}.tweet_created`, data: "not json" },
      { subject: `${stream}.tweet_created`, data: '{"messageType":"tweet_deleted"}' },
    ]);
    await publishEvents(server.url, stream, 1);
    const r = await listen(stream, ["--durable", "m", "--count", "3", "--json"]);
    expect(r.code).toBe(0);
    const lines = r.lines();
    expect(lines.map((l) => l.data ?? l.event.id)).toEqual([
      "not json",
      '{"messageType":"tweet_deleted"}',
      "tweet-0",
    ]);
    expect(lines[0].event).toBeUndefined();
    expect(r.stderr).toMatch(/message 1 on .* is not an event \(not JSON\)/);
    expect(r.stderr).toMatch(/message 2 on .* is not an event \(messageType must be/);
    // acknowledged: the durable hands nothing back, and the run ends as an open idle one does
    const again = await listen(stream, ["--durable", "m", "--timeout", "1s", "--json"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("");
    expect(again.stderr).not.toMatch(/is not an event/);
    const human = await listen(stream, ["--count", "1"]);
    expect(human.stdout).toMatch(/^#1 .*tweet_created {2}not json$/m);
  });

  it("`listen --count 1` in a loop gets the next event each time without stalling", async () => {
    const stream = await newStream(5);
    const started = Date.now();
    const got: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await listen(stream, [
        "--durable",
        "loop",
        "--count",
        "1",
        "--timeout",
        "10s",
        "--json",
      ]);
      expect(r.code).toBe(0);
      got.push(...seqs(r));
    }
    expect(got).toEqual([1, 2, 3, 4, 5]);
    // a stranded message would have cost the 30s ack wait
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it("refuses a durable with other settings (exit 5) and takes its own when none are given", async () => {
    const stream = await newStream(3);
    expect(
      (await listen(stream, ["--durable", "cfg", "--ack-wait", "10s", "--count", "1"])).code,
    ).toBe(0);
    const r = await listen(stream, [
      "--durable",
      "cfg",
      "--ack-wait",
      "20s",
      "--subject",
      "tweet_liked",
      "--count",
      "1",
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/ack wait is 10s, requested 20s/);
    expect(r.stderr).toMatch(/subject filter is none/);
    expect(r.stderr).toContain(`remove it (tweetstream consumer rm ${stream} cfg --force)`);
    const same = await listen(stream, ["--durable", "cfg", "--count", "1", "--json"]);
    expect(same.code).toBe(0);
    expect(seqs(same)).toEqual([2]);
  });

  it("explains a push-consumer durable (the Go subscriber's) and exits 5", async () => {
    const stream = await newStream(1);
    await withConnection(server.url, async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.add(stream, {
        durable_name: "go-event-subscriber",
        deliver_subject: "_INBOX.go",
        ack_policy: "explicit" as never,
      });
    });
    const r = await listen(stream, ["--durable", "go-event-subscriber", "--count", "1"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/push consumer/);
    expect(r.stderr).toMatch(/another --durable name/);
    // the command to remove it is this tool's own, which is installed (natscli may not be)
    expect(r.stderr).toContain(`(tweetstream consumer rm ${stream} go-event-subscriber)`);
    expect(r.stderr).not.toMatch(/\bnats consumer rm/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("rejects bad flags (exit 2) and a missing stream (exit 4)", async () => {
    for (const args of [
      ["--deliver", "someday"],

      ["--ack-wait", "100ms"],
      ["--count", "0"],
      ["--timeout", "x"],
      ["--durable", "a.b"],
    ]) {
      const r = await ts(["listen", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    const missing = await ts(["listen", "--stream", "NO_SUCH_STREAM", "--count", "1"]);
    expect(missing.code).toBe(4);
  });

  it("exits 4 when its durable is removed while listening", async () => {
    const stream = await newStream(1);
    const run = startListen(server.url, ["--stream", stream, "--durable", "gone"]);
    await waitFor(() => run.lines().length >= 1, 15_000, "the first event");
    await withConnection(server.url, async (nc) => {
      await (await nc.jetstreamManager()).consumers.delete(stream, "gone");
    });
    const code = await run.exited;
    expect(code).toBe(4);
    expect(run.stderr()).toMatch(/durable gone was removed from stream/);
  });

  it("carries on with a new ephemeral consumer after the server removed its own", async () => {
    const stream = await newStream(2);
    const run = startListen(server.url, ["--stream", stream]);
    await waitFor(() => run.lines().length >= 2, 15_000, "the first events");
    await withConnection(server.url, async (nc) => {
      const jsm = await nc.jetstreamManager();
      for await (const c of jsm.consumers.list(stream)) await jsm.consumers.delete(stream, c.name);
    });
    await publishEvents(server.url, stream, 2, { from: 2 });
    await waitFor(() => run.lines().length >= 4, 20_000, "the events after the removal");
    run.kill("SIGTERM");
    expect(await run.exited).toBe(143);
    expect(run.lines().map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(run.stderr()).toMatch(/continuing with a new one after sequence 2/);
  });

  it("removes its ephemeral consumer on exit", async () => {
    const stream = await newStream(1);
    expect((await listen(stream, ["--count", "1"])).code).toBe(0);
    const info = await ts(["stream", "info", stream, "--json"]);
    expect(info.json().state.consumer_count).toBe(0);
  });

  it("on SIGTERM acknowledges what it wrote, hands the rest back at once, exit 143", async () => {
    const stream = await newStream(3000);
    const run = startListen(server.url, ["--stream", stream, "--durable", "sig"]);
    await waitFor(() => run.lines().length >= 100, 15_000, "100 events");
    run.kill("SIGTERM");
    const code = await run.exited;
    expect(code).toBe(143);
    const first = run.lines().map((l) => l.seq);
    expect(first).toEqual(Array.from({ length: first.length }, (_, i) => i + 1));
    // acknowledged exactly what it wrote: nothing unwritten acked (that would be lost), nothing
    // written left unacked; everything else it was delivered is handed back, not left pending
    const info = await withConnection(server.url, async (nc) =>
      (await nc.jetstreamManager()).consumers.info(stream, "sig"),
    );
    expect(info.ack_floor.stream_seq).toBe(first.length);
    // default ack wait 30s: without the naks the rest would come only after it
    const started = Date.now();
    const rest = await listen(stream, ["--durable", "sig", "--timeout", "2s", "--json"]);
    expect(Date.now() - started).toBeLessThan(20_000);
    const second = seqs(rest);
    expect(second[0]).toBe(first.length + 1);
    expect([...first, ...second]).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
  });

  it("ends quietly when stdout closes early (| head -1), acknowledging only the first pulls", async () => {
    const stream = await newStream(500);
    const { code, stdout, stderr } = await shellPipeline(
      `${CLI_COMMAND} listen --stream ${stream} --durable pipe --json | head -1`,
      { NATS_URL: server.url },
    );
    expect(JSON.parse(stdout).seq).toBe(1);
    expect(code).toBe(0);
    expect(stderr.trim()).toBe("");
    const rest = await listen(stream, ["--durable", "pipe", "--timeout", "2s", "--json"]);
    // what the pipe took before head exited counts as written and acknowledged; in a pipe
    // listen pulls 1, 2, 4, … events at a time, so head -1 was handed only the first few
    // (a whole 256-event pull before); a burst the pipe refused is handed back: no gap
    const next = seqs(rest);
    expect(next[0]).toBeGreaterThanOrEqual(1);
    expect(next[0]).toBeLessThanOrEqual(32);
    expect(next).toEqual(Array.from({ length: 501 - next[0]! }, (_, i) => next[0]! + i));
  });

  it("survives kill -9 in the middle of a 20 000-event backlog: every event written at least once", async () => {
    const stream = await newStream(0);
    await publishEvents(server.url, stream, 20_000);
    const args = ["--stream", stream, "--durable", "crash", "--ack-wait", "2s"];
    const first = startListen(server.url, args);
    await waitFor(() => first.lines().length >= 5_000, 60_000, "5 000 events");
    first.kill("SIGKILL");
    await first.exited;
    const second = startListen(server.url, [...args, "--timeout", "5s"]);
    const code = await second.exited;
    expect(code).toBe(0);
    const a = first.lines().map((l) => l.seq);
    const b = second.lines().map((l) => l.seq);
    const all = new Set([...a, ...b]);
    expect(all.size).toBe(20_000);
    // duplicates only from the window that was written but not yet acknowledged
    const duplicates = a.length + b.length - all.size;
    expect(duplicates).toBeLessThan(1_000);
    expect(a.length).toBeLessThan(20_000);
  }, 120_000);
});

describe("listen while the server restarts", () => {
  let own: TestServer;
  beforeAll(async () => {
    own = await startServer();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it("keeps reconnecting with a warning and delivers every event", async () => {
    const stream = await cliAgainst(() => own.url).newStream([], "R");
    await publishEvents(own.url, stream, 50);
    const run = startListen(own.url, ["--stream", stream, "--durable", "r"]);
    await waitFor(() => run.lines().length >= 50, 20_000, "the first 50 events");
    await own.restart();
    await waitFor(() => /lost the connection/.test(run.stderr()), 20_000, "a warning");
    await publishEvents(own.url, stream, 50, { from: 50 });
    await waitFor(
      () => new Set(run.lines().map((l) => l.seq)).size >= 100,
      40_000,
      "all 100 events",
    );
    run.kill("SIGINT");
    const code = await run.exited;
    expect(code).toBe(130);
    const all = new Set(run.lines().map((l) => l.seq));
    expect([...all].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(run.stderr()).not.toMatch(/error|Error:|at .*\.js/);
  }, 90_000);
});

describe("listen when the server refuses its acks (publish deny $JS.ACK.>)", () => {
  let own: TestServer;
  const dir = mkdtempSync(join(tmpdir(), "ts-ackdeny-"));
  const reader = cliAgainst(() => own.url, { NATS_USER: "reader", NATS_PASSWORD: "pw" });
  beforeAll(async () => {
    const conf = join(dir, "deny-ack.conf");
    writeFileSync(
      conf,
      `authorization { users = [ { user: reader, password: pw, permissions: { publish: { deny: ["$JS.ACK.>"] } } } ] }\n`,
    );
    own = await startServer({ args: ["-c", conf] });
  });
  afterAll(async () => {
    await own?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 3 naming how many events were not acknowledged; they are still pending", async () => {
    const stream = await reader.newStream([], "D");
    await reader.ts(["tweet", "one", "--stream", stream]);
    await reader.ts(["tweet", "two", "--stream", stream]);
    const r = await reader.ts(["listen", "--stream", stream, "--durable", "d", "--count", "2"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /permission denied.*acknowledg.*\$JS\.ACK.*[12] written events? (was|were) not acknowledged/,
    );
    expect(r.stderr).not.toMatch(/all of them acknowledged/);
    const info = await reader.ts(["stream", "info", stream, "--json"]);
    expect(info.code).toBe(0);
    const nc = await natsConnect({ servers: own.url, user: "reader", pass: "pw" });
    try {
      const ci = await (await nc.jetstreamManager()).consumers.info(stream, "d");
      expect(ci.ack_floor.stream_seq).toBe(0);
      expect(ci.num_ack_pending + ci.num_pending).toBe(2);
    } finally {
      await nc.close();
    }
  });
});

describe("listen when its acks get no answer", () => {
  let own: TestServer;
  beforeAll(async () => {
    own = await startServer();
  });
  afterAll(async () => {
    try {
      process.kill(own.pid, "SIGCONT");
    } catch {
      // not running
    }
    await own?.stop();
  });

  it("exits 6 naming how many acks could not be confirmed within the retry budget", async () => {
    const stream = await cliAgainst(() => own.url).newStream([], "U");
    // --timeout 1s before the command: a 3 s retry budget
    const run = startCli(
      ["--timeout", "1s", "listen", "--stream", stream, "--durable", "u", "--count", "1"],
      { url: own.url },
    );
    // connected before listen starts: the publish below must reach the server well within
    // listen's pull (5 s) even on a loaded machine, or no pull is open to deliver it
    const nc = await natsConnect({ servers: own.url });
    const jsm = await nc.jetstreamManager();
    const event = fixtureEvent(0);
    try {
      await waitFor(() => /Listening on/.test(run.stderr()), 10_000, "listen to start");
      // its pull registered with the server (else a loaded machine freezes listen before it pulled)
      await waitFor(
        async () => (await jsm.consumers.info(stream, "u")).num_waiting === 1,
        10_000,
        "listen's pull",
      );
      // listen stopped while the server delivers an event to its (first, 1-event) pull; then the
      // server is stopped and listen resumed: it writes it, and its ack gets no answer
      // stopped for certain before anything is published (kill only queues the signal)
      await pauseProcess(run.pid);
      try {
        await nc.jetstream().publish(`${stream}.${event.messageType}`, JSON.stringify(event));
        await waitFor(
          async () => (await jsm.consumers.info(stream, "u")).num_ack_pending === 1,
          10_000,
          "the event delivered to listen",
        );
        // every server thread stopped before listen runs again, or one answers the ack
        await pauseProcess(own.pid);
      } finally {
        process.kill(run.pid, "SIGCONT");
      }
    } finally {
      nc.close().catch(() => undefined);
    }
    try {
      const code = await run.exited;
      expect(code, run.stderr()).toBe(6);
      expect(run.stdout().trim().split("\n")).toHaveLength(1);
      expect(run.stderr()).toMatch(/1 of 1 event written could not be confirmed as acknowledged/);
    } finally {
      process.kill(own.pid, "SIGCONT");
    }
  }, 60_000);
});
