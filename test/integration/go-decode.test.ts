// Interoperability with the article's Go app: everything tweetstream publishes is decoded
// by a real Go program (test/fixtures/go-decode, standard library only) with json.Unmarshal
// into the article's Event struct, and must mean the same thing there.
// Without Go the test is skipped on a workstation but fails under CI=true (.ci/run installs it).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { uniqueStream, cliAgainst } from "../helpers/cli.js";
import { describeWithGo, goEnv, hasGo } from "../helpers/go.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { storedMessages } from "../helpers/stored.js";

const GO_PROGRAM = new URL("../fixtures/go-decode/main.go", import.meta.url).pathname;

describeWithGo("Go struct decoding", hasGo, "golang-go", () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), "ts-go-"));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("decodes every event tweetstream writes into the article's Event struct", async () => {
    const stream = uniqueStream("GO");
    const ts = (args: string[], input?: string) =>
      cliAgainst(() => server.url).ts(args, { input, env: { TWEETSTREAM_STREAM: stream } });
    expect((await ts(["stream", "add"])).code).toBe(0);
    const tweet = await ts(["tweet", "hello world !", "--author", "ziggornif", "--json"]);
    expect(tweet.code, tweet.stderr).toBe(0);
    const id = tweet.json().event.id;
    expect((await ts(["like", id, "--author", "alice"])).code).toBe(0);
    expect((await ts(["tweet", "-"], 'multi\nline "quoted" ünïcødé 🐦 \\ </script>\n')).code).toBe(
      0,
    );
    expect((await ts(["tweet", "load {{n}}", "--count", "3"])).code).toBe(0);
    const file = join(dir, "events.ndjson");
    writeFileSync(
      file,
      [
        {
          messageType: "tweet_created",
          id: "nano",
          message: "m",
          date: "2022-01-07T23:01:27.123456789+01:00",
          author: "z",
        },
        {
          messageType: "tweet_liked",
          id: "nano",
          message: "",
          date: "2022-01-07t22:01:27z",
          author: "y",
        },
        { message: "short form" },
        {
          messageType: "tweet_created",
          id: "extra",
          message: "m",
          date: "2022-01-07T22:01:27Z",
          author: "z",
          unknown: 1,
        },
      ]
        .map((e) => JSON.stringify(e))
        .join("\n"),
    );
    const pub = await ts(["publish", "--file", file]);
    expect(pub.code, pub.stderr).toBe(0);

    const stored = await storedMessages(server.url, stream);
    expect(stored).toHaveLength(10);
    const go = spawnSync("go", ["run", GO_PROGRAM], {
      input: stored.map((m) => m.data).join("\n") + "\n",
      encoding: "utf8",
      env: goEnv(join(dir, "gopath")),
      timeout: 120_000,
    });
    expect(go.stderr).toBe("");
    expect(go.status).toBe(0);
    const decoded = go.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(decoded).toHaveLength(stored.length);
    stored.forEach((m, i) => {
      const js = JSON.parse(m.data);
      const g = decoded[i];
      expect(g).toMatchObject({
        messageType: js.messageType,
        id: js.id,
        message: js.message,
        author: js.author,
      });
      expect(g.unixMilli).toBe(Date.parse(js.date));
      expect(m.subject).toBe(`${stream}.${g.messageType}`);
    });
    const nano = decoded.find((d) => d.id === "nano" && d.messageType === "tweet_created");
    expect(nano.date).toBe("2022-01-07T22:01:27.123456789Z");
    expect(decoded.find((d) => d.message.startsWith("multi")).message).toBe(
      'multi\nline "quoted" ünïcødé 🐦 \\ </script>',
    );
  }, 180_000);
});
