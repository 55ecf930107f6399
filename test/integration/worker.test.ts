// Workers against a real server: `listen --exec` (ack, retries with backoff, giving up,
// dead letters, progress acks, a stop with a running handler), two workers on one durable,
// and `consumer wait` before and after a durable caught up.

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAgainst, waitFor } from "../helpers/cli.js";
import { startCli } from "../helpers/cli-process.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "ts-worker-"));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = cliAgainst(() => server.url);
const ts = (args: string[], timeoutMs = 60_000) => cli.ts(args, { timeoutMs });
const newStream = (events: number) => cli.streamWithEvents(events, "W");

/** A handler script; every run appends "seq delivered" to `<name>.log`. */
function handler(name: string, body: string): { path: string; attempts(): string[] } {
  const path = join(dir, `${name}.sh`);
  const log = join(dir, `${name}.log`);
  writeFileSync(
    path,
    `#!/bin/sh\necho "$TWEETSTREAM_SEQ $TWEETSTREAM_DELIVERED" >> ${log}\n${body}\n`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    attempts: () =>
      existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).sort() : [],
  };
}

describe("listen --exec", () => {
  it("passes the event on stdin as listen --json prints it, and TWEETSTREAM_* variables", async () => {
    const stream = await newStream(2);
    const seen = join(dir, "seen.ndjson");
    const h = handler(
      "stdin",
      `{ cat; echo " $TWEETSTREAM_STREAM $TWEETSTREAM_SUBJECT $TWEETSTREAM_CONSUMER $TWEETSTREAM_EVENT_ID"; } >> ${seen}`,
    );
    const r = await ts(["listen", "--stream", stream, "--exec", h.path, "--count", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const records = r.lines();
    expect(records.map((x) => x.outcome)).toEqual(["handled", "handled", undefined]);
    expect(records[2].summary).toEqual({
      handled: 2,
      retried: 0,
      given_up: 0,
      handed_back: 0,
      given_up_seqs: [],
      // listen --exec created the capture stream: none given up, by any client
      dead_letters: { count: 0, latest: [] },
    });
    const lines = readFileSync(seen, "utf8").trim().split("\n");
    const [json, env] = [lines[0]!, lines[1]!];
    const event = JSON.parse(json);
    expect(event).toMatchObject({ stream, seq: 1, delivered: 1, redelivered: false });
    expect(event.event.id).toBeTruthy();
    expect(env).toContain(` ${stream} ${stream}.tweet_created `);
    expect(env.endsWith(` ${event.event.id}`)).toBe(true);
    expect(h.attempts()).toEqual(["1 1", "2 1"]);
  });

  it("event data never reaches a shell: a message with $(…) and backticks stays data", async () => {
    const stream = await cli.newStream([], "W");
    const marker = join(dir, `pwned-${stream}`);
    const nasty = `$(touch ${marker}) \`touch ${marker}\`; touch ${marker}`;
    expect(
      (await ts(["tweet", nasty, "--stream", stream, "--id", "x;touch${IFS}" + "y"])).code,
    ).toBe(0);
    const got = join(dir, `got-${stream}.json`);
    const r = await ts([
      ...[
        "listen",
        "--stream",
        stream,
        "--exec",
        `cat > ${got}; echo "$TWEETSTREAM_EVENT_ID" >> ${got}`,
      ],
      ...["--count", "1"],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const [line, idLine] = readFileSync(got, "utf8").trim().split("\n");
    expect(JSON.parse(line!).event.message).toBe(nasty);
    expect(idLine).toBe("x;touch${IFS}y");
  });

  it("a handler that fails once is retried after its backoff, then acked", async () => {
    const stream = await newStream(3);
    const mark = join(dir, `once-${stream}`);
    const h = handler(
      "once",
      `[ "$TWEETSTREAM_SEQ" = 2 ] && [ ! -e ${mark} ] && { touch ${mark}; exit 1; }\nexit 0`,
    );
    const started = Date.now();
    const r = await ts([
      "listen",
      "--stream",
      stream,
      "--durable",
      "w",
      "--exec",
      h.path,
      "--backoff",
      "700ms",
      "--count",
      "3",
      "--timeout",
      "5s",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    const outcomes = r.lines().filter((x) => x.outcome);
    expect(outcomes.map((o) => `${o.outcome} ${o.seq} ${o.delivered}`)).toEqual([
      "handled 1 1",
      "retry 2 1",
      "handled 3 1",
      "handled 2 2",
    ]);
    expect(outcomes[1].retry_in_ms).toBe(700);
    expect(r.lines().at(-1).summary).toMatchObject({ handled: 3, retried: 1, given_up: 0 });
    expect(h.attempts()).toEqual(["1 1", "2 1", "2 2", "3 1"]);
    const wait = await ts(["consumer", "wait", stream, "w", "--timeout", "5s"]);
    expect(wait.code, wait.stderr).toBe(0);
  });

  it("a handler that always fails: --max-deliver attempts, terminated, dead letter, exit 7", async () => {
    const stream = await newStream(2);
    const h = handler("always", `[ "$TWEETSTREAM_SEQ" = 1 ] && exit 9\nexit 0`);
    const dead = join(dir, `dead-${stream}.ndjson`);
    const r = await ts([
      "listen",
      "--stream",
      stream,
      "--durable",
      "w",
      "--exec",
      h.path,
      "--backoff",
      "100ms,200ms",
      "--max-deliver",
      "3",
      "--timeout",
      "2s",
      "--dead-letter",
      dead,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(7);
    expect(h.attempts()).toEqual(["1 1", "1 2", "1 3", "2 1"]);
    const outcomes = r.lines().filter((x) => x.outcome);
    const gaveUp = outcomes.filter((o) => o.outcome === "given_up");
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatchObject({ seq: 1, delivered: 3, exit: 9 });
    expect(outcomes.filter((o) => o.outcome === "retry").map((o) => o.retry_in_ms)).toEqual([
      100, 200,
    ]);
    expect(r.lines().at(-1).summary).toMatchObject({
      handled: 1,
      retried: 2,
      given_up: 1,
      given_up_seqs: [1],
    });
    expect(r.stderr).toContain(`gave up on sequence 1 (id ${gaveUp[0].id})`);
    const letters = readFileSync(dead, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ outcome: "given_up", seq: 1, event: { id: gaveUp[0].id } });
    // terminated, not pending: the durable has caught up
    const wait = await ts(["consumer", "wait", stream, "w", "--timeout", "5s", "--json"]);
    expect(wait.code, wait.stderr).toBe(0);
    expect(wait.json()).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
  });

  it("a handler longer than the ack wait keeps its event (progress acks): no second copy", async () => {
    const stream = await newStream(2);
    const h = handler("slow", "sleep 2.5");
    const args = (n: string) => [
      "listen",
      "--stream",
      stream,
      "--durable",
      "slow",
      "--ack-wait",
      "1s",
      "--exec",
      h.path,
      "--timeout",
      "4s",
      "--json",
      n,
    ];
    const [a, b] = await Promise.all([ts(args("-q")), ts(args("-q"))]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(h.attempts()).toEqual(["1 1", "2 1"]);
  });

  it("SIGTERM: no new handler, the running one is killed after --grace and its event handed back", async () => {
    const stream = await newStream(3);
    const h = handler("stuck", "sleep 30");
    const child = startCli(
      [
        "listen",
        "--stream",
        stream,
        "--durable",
        "w",
        "--exec",
        h.path,
        "--grace",
        "500ms",
        "--json",
      ],
      { url: server.url },
    );
    await waitFor(() => h.attempts().length === 1, 10_000, "the handler to start");
    child.kill("SIGTERM");
    expect(await child.exited, child.stderr()).toBe(143);
    const records = child
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ outcome: "handed_back", seq: 1, signal: "SIGTERM" });
    expect(records[1].summary).toMatchObject({ handled: 0, handed_back: 1 });
    expect(h.attempts()).toEqual(["1 1"]);
    // handed back at once (nak), not after the 30s ack wait: the next listen gets it now
    const next = await ts([
      "listen",
      "--stream",
      stream,
      "--durable",
      "w",
      "--count",
      "1",
      "--timeout",
      "5s",
      "--json",
    ]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.lines()[0]).toMatchObject({ seq: 1, delivered: 2 });
  });
});

describe("workers share a durable", () => {
  it("two listens on one durable split 400 events, each handled once", async () => {
    const stream = await newStream(400);
    const h = handler("share", "exit 0");
    const args = (extra: string[]) => [
      "listen",
      "--stream",
      stream,
      "--durable",
      "shared",
      "--timeout",
      "3s",
      "--json",
      ...extra,
    ];
    const [a, b] = await Promise.all([
      ts(args(["--exec", h.path, "--parallel", "4"]), 120_000),
      ts(args(["--exec", h.path])),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const handled = (r: typeof a) =>
      r
        .lines()
        .filter((x) => x.outcome === "handled")
        .map((x) => x.seq as number);
    const all = [...handled(a), ...handled(b)].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(handled(a).length).toBeGreaterThan(0);
    expect(handled(b).length).toBeGreaterThan(0);
    expect(h.attempts()).toHaveLength(400);
    expect((await ts(["consumer", "wait", stream, "shared", "--timeout", "5s"])).code).toBe(0);
  }, 120_000);
});

describe("dead letters in the summary", () => {
  it("counts events given up on the durable by any worker, this one or another", async () => {
    const stream = await newStream(6);
    const h = handler("poison", `[ "$TWEETSTREAM_SEQ" != 1 ]`);
    const args = [
      ...["listen", "--stream", stream, "--durable", "dl", "--exec", h.path],
      ...["--backoff", "1500ms", "--max-deliver", "2", "--timeout", "3s", "--json"],
    ];
    // the summary counts dead letters since the worker started: the retry that gives up
    // comes 1.5s after the first attempt, when both have long started
    const [a, b] = await Promise.all([ts(args), ts(args)]);
    const summaries = [a, b].map((r) => r.lines().at(-1).summary);
    // one of them gave up on sequence 1 (exit 7), the other did not (exit 0)
    expect(summaries.map((x) => x.given_up).sort()).toEqual([0, 1]);
    expect([a.code, b.code].sort()).toEqual([0, 7]);
    // both report it as a dead letter of their consumer
    for (const x of summaries) expect(x.dead_letters).toEqual({ count: 1, latest: [1] });
  });
});

describe("consumer wait", () => {
  it("exit 6 with the last state before the durable caught up, 0 after; --seq", async () => {
    const stream = await newStream(5);
    expect((await ts(["listen", "--stream", stream, "--durable", "d", "--count", "2"])).code).toBe(
      0,
    );
    const before = await ts(["consumer", "wait", stream, "d", "--timeout", "500ms"]);
    expect(before.code).toBe(6);
    expect(before.stdout).toBe("");
    expect(before.stderr).toMatch(/not caught up after .*: 3 pending, 0 awaiting an ack/);
    const seq2 = await ts(["consumer", "wait", stream, "d", "--seq", "2", "--timeout", "1s"]);
    expect(seq2.code, seq2.stderr).toBe(0);
    const seq4 = await ts(["consumer", "wait", stream, "d", "--seq", "4", "--timeout", "300ms"]);
    expect(seq4.code).toBe(6);
    // a wait started before the rest is processed ends when it is
    const waiting = ts(["consumer", "wait", stream, "d", "--timeout", "20s", "--json"]);
    expect((await ts(["listen", "--stream", stream, "--durable", "d", "--count", "3"])).code).toBe(
      0,
    );
    const after = await waiting;
    expect(after.code, after.stderr).toBe(0);
    expect(after.json()).toMatchObject({ name: "d", num_pending: 0, num_ack_pending: 0 });
    expect((await ts(["consumer", "wait", stream, "nope", "--timeout", "1s"])).code).toBe(4);
  });
});

describe("consumer check", () => {
  it("thresholds and formats: exit 0 ok, 8 warning, 9 critical; nagios 0/1/2", async () => {
    const stream = await newStream(5);
    expect((await ts(["listen", "--stream", stream, "--durable", "c", "--count", "2"])).code).toBe(
      0,
    );
    const check = (args: string[]) => ts(["consumer", "check", stream, "c", ...args]);
    const ok = await check(["--pending-warn", "3"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK consumer c of stream/);
    const warn = await check(["--pending-warn", "2", "--pending-crit", "10", "--json"]);
    expect(warn.code).toBe(8);
    expect(warn.json()).toMatchObject({ status: "warning", stream, consumer: "c" });
    expect(warn.json().metrics[0]).toEqual({
      name: "pending",
      value: 3,
      unit: "count",
      warn: 2,
      crit: 10,
      status: "warning",
    });
    const crit = await check(["--pending-crit", "2", "--last-ack-warn", "1h"]);
    expect(crit.code).toBe(9);
    expect(crit.stdout).toMatch(/^CRITICAL /);
    const nagios = await check(["--pending-warn", "2", "--format", "nagios"]);
    expect(nagios.code).toBe(1);
    expect(nagios.stdout).toMatch(
      /^CONSUMER WARNING: pending 3 > 2 \| pending=3;2; ack_pending=0;;/,
    );
    expect((await check(["--format", "nagios"])).code).toBe(0);
    const prom = await check(["--format", "prometheus", "--redelivered-crit", "0"]);
    expect(prom.code).toBe(0);
    expect(prom.stdout).toContain(
      `tweetstream_consumer_pending{stream="${stream}",consumer="c"} 3\n`,
    );
    expect(prom.stdout).toMatch(/tweetstream_consumer_last_ack_seconds\{[^}]*\} \d+(\.\d)?\n/);
    expect(prom.stdout).toContain(
      `tweetstream_consumer_check_status{stream="${stream}",consumer="c"} 0\n`,
    );
    expect((await check(["--pending-warn", "5", "--pending-crit", "2"])).code).toBe(2);
    expect((await ts(["consumer", "check", stream, "none"])).code).toBe(4);
  });
});
