// natscli compatibility of the connection: contexts (under a temporary XDG_CONFIG_HOME),
// their precedence, `context ls|info`, --js-domain, --inbox-prefix and --trace.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, uniqueStream } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

const dir = mkdtempSync(join(tmpdir(), "ts-ctx-"));
const PASSWORD = "ctx-Pa55word";
const DEAD = "nats://127.0.0.1:1";
let server: TestServer;

/** A fresh config home holding `contexts`, `selected` named in context.txt. */
function configHome(contexts: Record<string, object>, selected?: string): string {
  const home = mkdtempSync(join(dir, "xdg-"));
  mkdirSync(join(home, "nats", "context"), { recursive: true });
  for (const [name, body] of Object.entries(contexts)) {
    writeFileSync(join(home, "nats", "context", `${name}.json`), JSON.stringify(body, null, 2));
  }
  if (selected) writeFileSync(join(home, "nats", "context.txt"), selected + "\n");
  return home;
}

beforeAll(async () => {
  const conf = join(dir, "server.conf");
  writeFileSync(
    conf,
    `jetstream { domain: hub }
authorization { users = [
  { user: ctxuser, password: "${PASSWORD}" }
  { user: limited, password: limitedpw, permissions: { publish: ">", subscribe: "myinbox.>" } }
] }
`,
  );
  server = await startServer({ args: ["-c", conf] });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function good() {
  return { description: "test server", url: server.url, user: "ctxuser", password: PASSWORD };
}

describe("natscli contexts", () => {
  it("the context selected in nats/context.txt is used", async () => {
    const home = configHome({ local: good() }, "local");
    const r = await runCli(["stream", "ls", "--json"], { env: { XDG_CONFIG_HOME: home } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // without the context: the default server, nothing listens there with these credentials
    const none = await runCli(["stream", "ls", "--timeout", "1s", "-s", server.url]);
    expect(none.code).toBe(3);
  });

  it("precedence: flag, then environment, then context, then default", async () => {
    const home = configHome({ local: good(), dead: { url: DEAD } }, "dead");
    const env = { XDG_CONFIG_HOME: home };
    // NATS_CONTEXT beats context.txt; --context beats NATS_CONTEXT
    expect((await runCli(["stream", "ls"], { env: { ...env, NATS_CONTEXT: "local" } })).code).toBe(
      0,
    );
    const flagCtx = await runCli(["stream", "ls", "--context", "dead", "--timeout", "1s"], {
      env: { ...env, NATS_CONTEXT: "local" },
    });
    expect(flagCtx.code).toBe(3);
    expect(flagCtx.stderr).toContain("127.0.0.1:1");
    // the context's url loses to NATS_URL, which loses to --server
    const ctxLocal = { ...env, NATS_CONTEXT: "local" };
    const envUrl = await runCli(["stream", "ls", "--timeout", "1s"], {
      env: { ...ctxLocal, NATS_URL: DEAD },
    });
    expect(envUrl.code).toBe(3);
    const flagUrl = await runCli(["stream", "ls", "-s", server.url], {
      env: { ...ctxLocal, NATS_URL: DEAD },
    });
    expect(flagUrl.code).toBe(0);
    // credentials given by a flag replace the context's (all of them, not field by field)
    const wrong = await runCli(["stream", "ls", "--password", "wrong"], { env: ctxLocal });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/authorization/);
    const token = await runCli(["stream", "ls", "--token", "tok"], { env: ctxLocal });
    expect(token.code).toBe(3);
    // so do credentials written into a --server URL
    const inUrl = server.url.replace("nats://", "nats://ctxuser:wrong@");
    expect((await runCli(["stream", "ls", "-s", inUrl], { env: ctxLocal })).code).toBe(3);
    const rightInUrl = server.url.replace("nats://", `nats://ctxuser:${PASSWORD}@`);
    const dead = configHome({ other: { url: DEAD, user: "someone", password: "else" } });
    const ok = await runCli(["stream", "ls", "-s", rightInUrl, "--context", "other"], {
      env: { XDG_CONFIG_HOME: dead },
    });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
  });

  it("an unknown context is exit 2 naming those that exist", async () => {
    const home = configHome({ local: good(), other: { url: DEAD } });
    const r = await runCli(["stream", "ls", "--context", "nope"], {
      env: { XDG_CONFIG_HOME: home },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: unknown context "nope"; known contexts: local, other');
    const bad = await runCli(["stream", "ls", "--context", "../x"], {
      env: { XDG_CONFIG_HOME: home },
    });
    expect(bad.code).toBe(2);
  });

  it("context ls and info show contexts, never their secrets", async () => {
    const token = "tok-" + "Secret77";
    const home = configHome(
      {
        local: {
          ...good(),
          url: `nats://ctxuser:${PASSWORD}@127.0.0.1:4222`,
          color_scheme: "blue",
        },
        tok: {
          url: DEAD,
          token,
          jetstream_domain: "hub",
          inbox_prefix: "myinbox",
          tls_first: true,
        },
      },
      "local",
    );
    const env = { XDG_CONFIG_HOME: home };
    const ls = await runCli(["context", "ls", "--json"], { env });
    expect(ls.code).toBe(0);
    const list = ls.json();
    expect(list.map((c: { name: string }) => c.name)).toEqual(["local", "tok"]);
    expect(list[0]).toMatchObject({
      selected: true,
      description: "test server",
      user: "ctxuser",
      password: "***",
      url: "nats://***@127.0.0.1:4222",
    });
    expect(list[0]).not.toHaveProperty("color_scheme");
    expect(list[1]).toMatchObject({
      token: "***",
      jetstream_domain: "hub",
      inbox_prefix: "myinbox",
      tls_first: true,
    });
    const human = await runCli(["context", "ls"], { env });
    expect(human.stdout).toMatch(/local\*/);
    const info = await runCli(["context", "info"], { env });
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/"local" \(selected\)/);
    const infoTok = await runCli(["context", "info", "tok", "--json"], { env });
    expect(infoTok.json()).toMatchObject({ name: "tok", selected: false, token: "***" });
    for (const r of [ls, human, info, infoTok]) {
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      expect(r.stdout + r.stderr).not.toContain(token);
    }
    // a failing connection through the context does not print its password either
    const fail = await runCli(["stream", "ls", "--timeout", "1s"], {
      env: { ...env, NATS_URL: undefined },
    });
    expect(fail.code).toBe(3);
    expect(fail.stderr).not.toContain(PASSWORD);
    const missing = await runCli(["context", "info", "nope"], { env });
    expect(missing.code).toBe(2);
  });

  it("a broken context file is exit 2; ~/ in file paths is the home directory", async () => {
    const home = configHome({ tilde: { url: server.url, creds: "~/no-such.creds" } });
    writeFileSync(join(home, "nats", "context", "broken.json"), "{ not json");
    const env = { XDG_CONFIG_HOME: home, HOME: join(dir, "home") };
    const broken = await runCli(["stream", "ls", "--context", "broken"], { env });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/context .*broken\.json is not valid JSON/);
    const ls = await runCli(["context", "ls", "--json"], { env });
    expect(ls.code).toBe(0);
    expect(ls.json()[0]).toMatchObject({ name: "broken", error: expect.stringMatching(/JSON/) });
    const tilde = await runCli(["stream", "ls", "--context", "tilde"], { env });
    expect(tilde.code).toBe(2);
    expect(tilde.stderr).toContain(
      `cannot read the context "tilde" field creds file ${join(dir, "home", "no-such.creds")}`,
    );
  });

  it("without contexts: context ls says so; tests never read the real ~/.config", async () => {
    const r = await runCli(["context", "ls"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No contexts defined/);
    expect((await runCli(["context", "ls", "--json"])).json()).toEqual([]);
  });
});

describe("natscli connection flags", () => {
  const auth = () => ["-s", server.url, "--user", "ctxuser", "--password", PASSWORD];

  it("--js-domain sends the API requests to $JS.<domain>.API, shown by --trace", async () => {
    const name = uniqueStream("DOM");
    const r = await runCli([
      "stream",
      "add",
      name,
      "--js-domain",
      "hub",
      "--trace",
      "--description",
      PASSWORD,
      ...auth(),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`>>> $JS.hub.API.STREAM.CREATE.${name}`);
    expect(r.stderr).toContain(`<<< $JS.hub.API.STREAM.CREATE.${name}`);
    // each request once, each with its one reply
    const sent = r.stderr.split("\n").filter((l) => l.startsWith(">>> "));
    const received = r.stderr.split("\n").filter((l) => l.startsWith("<<< "));
    expect(sent.filter((l) => l === `>>> $JS.hub.API.STREAM.CREATE.${name}`)).toHaveLength(1);
    expect(sent).toEqual(received.map((l) => l.replace("<<<", ">>>")));
    expect(r.stderr).toMatch(/"subjects":\[/);
    // secrets are redacted even where they appear in a request
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).not.toContain(">>>");
    const other = await runCli([
      "stream",
      "ls",
      "--js-domain",
      "nowhere",
      "--timeout",
      "1s",
      ...auth(),
    ]);
    expect(other.code).not.toBe(0);
  });

  it("--inbox-prefix: a user who may only subscribe to its own inboxes can use JetStream", async () => {
    const limited = ["-s", server.url, "--user", "limited", "--password", "limitedpw"];
    const ok = await runCli(["stream", "ls", "--json", "--inbox-prefix", "myinbox", ...limited]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const denied = await runCli(["stream", "ls", "--json", "--timeout", "1s", ...limited]);
    expect(denied.code).not.toBe(0);
  });

  it("listen pulls through --js-domain, answered on the --inbox-prefix inbox", async () => {
    const name = uniqueStream("LSN");
    const limited = [
      "-s",
      server.url,
      "--user",
      "limited",
      "--password",
      "limitedpw",
      "--inbox-prefix",
      "myinbox",
      "--js-domain",
      "hub",
      "--stream",
      name,
    ];
    expect((await runCli(["stream", "add", ...limited])).code).toBe(0);
    expect((await runCli(["tweet", "hello {{n}}", "--count", "3", ...limited])).code).toBe(0);
    const listen = ["listen", "--durable", "w", "--count", "3", "--json", "--timeout", "30s"];
    const r = await runCli([...listen, "--trace", ...limited]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; event: { message: string } });
    expect(lines.map((l) => [l.seq, l.event.message])).toEqual([
      [1, "hello 1"],
      [2, "hello 2"],
      [3, "hello 3"],
    ]);
    expect(r.stderr).toContain(`>>> $JS.hub.API.CONSUMER.MSG.NEXT.${name}.w`);
  });

  it("a context supplies jetstream_domain and inbox_prefix", async () => {
    const home = configHome({
      lim: {
        url: server.url,
        user: "limited",
        password: "limitedpw",
        inbox_prefix: "myinbox",
        jetstream_domain: "hub",
      },
    });
    const r = await runCli(["stream", "ls", "--trace", "--context", "lim"], {
      env: { XDG_CONFIG_HOME: home },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(">>> $JS.hub.API.STREAM.");
  });
});
