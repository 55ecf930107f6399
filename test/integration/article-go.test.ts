// The article's own Go program (test/fixtures/article: its Event struct without messageType,
// AddStream, js.Publish, the durable push subscriber "go-event-subscriber" with ManualAck) and
// tweetstream on one stream, both ways: what Go publishes is typed from its subject in view,
// listen and serve; what tweetstream publishes is decoded and acknowledged by the Go subscriber;
// both durables get every event. Needs Go and Debian's go-nats (see test/helpers/go.ts).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, runProcess, uniqueStream, waitFor, cliAgainst } from "../helpers/cli.js";
import { withConnection } from "../helpers/fixtures.js";
import { buildGoFixture, describeWithGo, hasGo, hasGoNats } from "../helpers/go.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { startServe, type ServeProcess } from "../helpers/serve.js";
import { storedMessages } from "../helpers/stored.js";

describeWithGo(
  "the article's Go program and tweetstream",
  hasGo && hasGoNats,
  "golang-go golang-github-nats-io-go-nats-dev",
  () => {
    let server: TestServer;
    let dir: string;
    let binary: string;
    const serves: ServeProcess[] = [];
    beforeAll(async () => {
      server = await startServer();
      dir = mkdtempSync(join(tmpdir(), "ts-article-"));
      binary = buildGoFixture("article", dir);
    }, 180_000);
    afterAll(async () => {
      for (const s of serves) await s.stop();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Runs the Go program on `stream`; dates in Paris time, so they carry a zone offset. */
    const go = (stream: string, args: string[]) =>
      runProcess(binary, ["-server", server.url, "-stream", stream, ...args], {
        env: { ...process.env, TZ: "Europe/Paris" },
      });
    const cli = cliAgainst(() => server.url);
    const ts = (stream: string, args: string[], input?: string) =>
      cli.ts(args, { input, env: { TWEETSTREAM_STREAM: stream } });

    it("Go publishes: view, listen and serve show typed tweets and likes", async () => {
      const stream = uniqueStream("ART");
      const pub = await go(stream, ["publish", "-tweets", "3", "-likes", "4"]);
      expect(pub.code, pub.stderr).toBe(0);
      expect(pub.stderr).toBe("");
      const stored = await storedMessages(server.url, stream);
      expect(stored).toHaveLength(7);
      expect(JSON.parse(stored[0]!.data)).not.toHaveProperty("messageType");

      // stream add with the defaults accepts the stream Go's AddStream created
      const add = await ts(stream, ["stream", "add", "--json"]);
      expect(add.code, add.stderr).toBe(0);
      expect(add.json()).not.toHaveProperty("did_create"); // it existed: nothing created
      const other = await ts(stream, [
        "stream",
        "add",
        "--description",
        "x",
        "--storage",
        "memory",
      ]);
      expect(other.code).toBe(5);
      expect(other.stderr).toMatch(/description is none, requested "x"/);
      expect(other.stderr).toMatch(/storage is file, requested memory/);

      const view = await ts(stream, ["view", "--json"]);
      expect(view.code, view.stderr).toBe(0);
      const records = view.lines();
      expect(records.map((r) => r.event.messageType)).toEqual([
        ...Array(3).fill("tweet_created"),
        ...Array(4).fill("tweet_liked"),
      ]);
      expect(records.every((r) => r.type_inferred === true)).toBe(true);
      records.forEach((r, i) => {
        // the date exactly as Go wrote it: nanoseconds and a zone offset
        const date = JSON.parse(stored[i]!.data).date;
        expect(r.event.date).toBe(date);
        expect(date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+0[12]:00$/);
      });
      const human = await ts(stream, ["view", "--subject", "tweet_liked", "--last", "1"]);
      expect(human.stdout.split("\n")[0]).toMatch(/tweet_liked {2}.* {2}tweet_liked$/);

      const listen = await ts(stream, ["listen", "--count", "7", "--json"]);
      expect(listen.code, listen.stderr).toBe(0);
      expect(listen.stderr).not.toMatch(/not an event/);
      const events = listen.lines();
      expect(events.filter((e) => e.event.messageType === "tweet_liked")).toHaveLength(4);
      expect(events.map((e) => e.event.date)).toEqual(stored.map((m) => JSON.parse(m.data).date));
      expect(events[3]).toMatchObject({
        type_inferred: true,
        event: { messageType: "tweet_liked", id: "go-1", message: "", author: "" },
      });
      const lines = (await ts(stream, ["listen", "--count", "7"])).stdout.trim().split("\n");
      expect(lines[0]).toMatch(/ tweet_created {2}go-1 {2}@ziggornif {2}hello world ! 1$/);
      expect(lines[3]).toMatch(/ tweet_liked {4}go-1 {2}anonymous$/);

      // serve: counts at start, the timeline, likes from an anonymous liker, then SSE
      const s = await startServe(["--stream", stream], { NATS_URL: server.url });
      serves.push(s);
      expect(JSON.parse(s.stdout().split("\n")[0]!)).toMatchObject({ tweets: 3, likes: 4 });
      const timeline = (await (await fetch(`${s.url}/tweets`)).json()) as {
        tweets: { id: string; likes: number }[];
      };
      expect(timeline.tweets.map((t) => [t.id, t.likes])).toEqual([
        ["go-3", 1],
        ["go-2", 1],
        ["go-1", 2],
      ]);
      const first = (await (await fetch(`${s.url}/tweets/go-1`)).json()) as {
        liked_by: { author: string }[];
        date: string;
      };
      expect(first.liked_by.map((l) => l.author)).toEqual(["anonymous", "anonymous"]);
      expect(first.date).toBe(JSON.parse(stored[0]!.data).date);
      const ac = new AbortController();
      const sse = await fetch(`${s.url}/events`, { signal: ac.signal });
      const reader = sse.body!.getReader();
      let text = "";
      const more = await go(stream, ["publish", "-tweets", "1", "-likes", "1", "-prefix", "live-"]);
      expect(more.code, more.stderr).toBe(0);
      await waitFor(
        async () => {
          text += new TextDecoder().decode((await reader.read()).value);
          return text.includes("id: 9\n");
        },
        10_000,
        "SSE frames of the Go events",
      );
      ac.abort();
      expect(text).toMatch(/id: 8\nevent: tweet_created\ndata: \{[^\n]*"id":"live-1"/);
      expect(text).toMatch(/id: 9\nevent: tweet_liked\ndata: \{[^\n]*"author":"anonymous"/);
      expect(s.stderr()).not.toMatch(/not an event/);
    }, 90_000);

    it("an event the Go subscriber gives up (max deliveries) is a dead letter in consumer info", async () => {
      const stream = uniqueStream("ART");
      expect((await ts(stream, ["stream", "add"])).code).toBe(0);
      const capture = await ts(stream, ["consumer", "dead-letters", "--capture", "--json"]);
      expect(capture.code, capture.stderr).toBe(0);
      expect(capture.json()).toEqual({ captured: true, dead_letters: [] });
      for (const id of ["poison", "a", "b"]) {
        expect((await ts(stream, ["tweet", `event ${id}`, "--id", id])).code).toBe(0);
      }
      const sub = await go(stream, [
        "subscribe",
        "-count",
        "2",
        "-nak-id",
        "poison",
        "-max-deliver",
        "2",
        "-ack-wait",
        "1s",
        "-timeout",
        "20s",
      ]);
      expect(sub.code, sub.stderr).toBe(0);
      // the poison event was naked twice: the server gives up on it once its last ack wait
      // (1s) ended while the durable has a subscriber, and announces it; the capture keeps
      // the advisory. The worker runs again, until one more event comes
      const again = go(stream, [
        ...["subscribe", "-count", "1", "-nak-id", "poison", "-max-deliver", "2"],
        ...["-ack-wait", "1s", "-timeout", "30s"],
      ]);
      const info = await waitFor(
        async () => {
          const r = await ts(stream, ["consumer", "info", stream, "go-event-subscriber", "--json"]);
          return r.json().dead_letters?.count === 1 ? r.json() : undefined;
        },
        20_000,
        "the max-deliveries advisory",
      );
      expect((await ts(stream, ["tweet", "event c", "--id", "c"])).code).toBe(0);
      const last = await again;
      expect(last.code, last.stderr).toBe(0);
      expect(JSON.parse(last.stdout)).toMatchObject({ id: "c" });
      expect(info.dead_letters).toEqual({ count: 1, latest: [1] });
      const human = await ts(stream, ["consumer", "info", stream, "go-event-subscriber"]);
      expect(human.stdout).toMatch(/Dead Letters: 1 \(latest sequences 1\)/);
      const list = await ts(stream, ["consumer", "dead-letters", stream, "--json"]);
      expect(list.json().dead_letters).toMatchObject([
        { kind: "max_deliveries", consumer: "go-event-subscriber", stream_seq: 1, deliveries: 2 },
      ]);
    });

    it("tweetstream publishes: the Go durable subscriber decodes and acks every event; both durables get all", async () => {
      const stream = uniqueStream("ART");
      expect((await ts(stream, ["stream", "add"])).code).toBe(0);
      const tweet = await ts(stream, ["tweet", "hello world !", "--author", "ziggornif", "--json"]);
      expect(tweet.code, tweet.stderr).toBe(0);
      const id = tweet.json().event.id;
      expect((await ts(stream, ["like", id, "--author", "alice"])).code).toBe(0);
      const file = join(dir, `${stream}.ndjson`);
      const goDate = "2022-01-07T23:01:27.123456789+01:00";
      writeFileSync(
        file,
        [
          { messageType: "tweet_created", id: "nano", message: "m", date: goDate, author: "z" },
          // the repository's like shape: empty message and author
          { messageType: "tweet_liked", id, message: "", date: goDate, author: "" },
        ]
          .map((e) => JSON.stringify(e))
          .join("\n"),
      );
      const pub = await ts(stream, ["publish", "--file", file]);
      expect(pub.code, pub.stderr).toBe(0);

      const sub = await go(stream, ["subscribe", "-count", "4", "-timeout", "20s"]);
      expect(sub.code, sub.stderr).toBe(0);
      const got = sub.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(got.map((g) => [g.seq, g.subject, g.id, g.author])).toEqual([
        [1, `${stream}.tweet_created`, id, "ziggornif"],
        [2, `${stream}.tweet_liked`, id, "alice"],
        [3, `${stream}.tweet_created`, "nano", "z"],
        [4, `${stream}.tweet_liked`, id, ""],
      ]);
      expect(got[2]).toMatchObject({ date: goDate, unixMilli: Date.parse(goDate) });
      const acked = async () =>
        withConnection(server.url, async (nc) =>
          (await nc.jetstreamManager()).consumers.info(stream, "go-event-subscriber"),
        );
      expect(await acked()).toMatchObject({
        num_ack_pending: 0,
        num_pending: 0,
        ack_floor: { stream_seq: 4 },
      });

      // the push durable is not for listen: today's clear exit 5
      const push = await ts(stream, ["listen", "--durable", "go-event-subscriber", "--count", "1"]);
      expect(push.code).toBe(5);
      expect(push.stderr).toMatch(/go-event-subscriber .* is a push consumer/);

      // tweetstream's pull durable on the same stream gets every event too
      const pull = await ts(stream, ["listen", "--durable", "worker", "--count", "4", "--json"]);
      expect(pull.code, pull.stderr).toBe(0);
      expect(pull.lines().map((l) => l.seq)).toEqual([1, 2, 3, 4]);
      // one more event: each durable resumes and gets it
      expect((await ts(stream, ["tweet", "one more"])).code).toBe(0);
      const next = await ts(stream, ["listen", "--durable", "worker", "--count", "1", "--json"]);
      expect(next.lines().map((l) => [l.seq, l.event.message])).toEqual([[5, "one more"]]);
      const goNext = await go(stream, ["subscribe", "-count", "1", "-timeout", "20s"]);
      expect(goNext.code, goNext.stderr).toBe(0);
      expect(JSON.parse(goNext.stdout)).toMatchObject({ seq: 5, message: "one more" });
      expect(await acked()).toMatchObject({ num_ack_pending: 0, ack_floor: { stream_seq: 5 } });
    }, 90_000);

    it("docs/article-go.md's example, run as written, prints what its comments say", async () => {
      const doc = readFileSync(join(ROOT, "docs/article-go.md"), "utf8");
      const publishArgs = /^\.\/article (publish [^#\n]*?)\s+#/m.exec(doc)![1]!.split(/\s+/);
      const count = Number(/^\.\/article subscribe -count (\d+)/m.exec(doc)![1]);
      // the Go events the comment counts, and the two lines it shows last
      const goEvents = Number(/the (\d+)\s*#?\s*Go events above/.exec(doc)![1]);
      const shown = [...doc.matchAll(/^# (\{"subject":.*)$/gm)].map((m) => m[1]!);
      expect(shown).toHaveLength(2);

      const stream = uniqueStream("ART");
      expect((await go(stream, publishArgs)).code).toBe(0);
      expect((await ts(stream, ["stream", "add"])).code).toBe(0);
      const tweet = await ts(stream, ["tweet", "hello world !", "--json"]);
      const id = tweet.json().event.id as string;
      expect((await ts(stream, ["like", id])).code).toBe(0);
      const sub = await go(stream, ["subscribe", "-count", String(count), "-timeout", "20s"]);
      expect(sub.code, sub.stderr).toBe(0);
      const got = sub.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(got).toHaveLength(goEvents + 2);
      expect(got.slice(0, goEvents).every((g) => g.id.startsWith("go-"))).toBe(true);
      // the doc's two lines, with its placeholders filled in
      got.slice(goEvents).forEach((g, i) => {
        const expected = JSON.parse(
          shown[i]!.replace(/,…\}$/, "}").replaceAll("TWITTERCLONE", stream).replaceAll("<id>", id),
        );
        expect(g).toMatchObject(expected);
      });
    }, 90_000);
  },
);
