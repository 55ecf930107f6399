// No credential is ever printed (issue 16 item 2): a password holding `@`, `:`, a space
// and `/`, written raw into a server URL with and without a scheme, never appears in an
// error, context ls (both forms), context info (both forms), --trace, serve's start line
// or /healthz.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { startServe } from "../helpers/serve.js";
import { startCli } from "../helpers/cli-process.js";

const PASSWORD = "Pz@Qk: 9/xY";
const WRONG = "Wq@Zr: 7/mN";
/** pieces of either password that must never be printed */
const LEAKS = ["Pz", "Qk", "9/xY", "Wq", "Zr", "7/mN"];
const dir = mkdtempSync(join(tmpdir(), "ts-redact-"));
let server: TestServer;
let host: string;

function expectNoLeak(text: string, where: string): void {
  for (const piece of LEAKS) expect(text, `${where} prints "${piece}"`).not.toContain(piece);
}

beforeAll(async () => {
  const conf = join(dir, "server.conf");
  writeFileSync(conf, `authorization { users = [ { user: red, password: "${PASSWORD}" } ] }\n`);
  server = await startServer({ args: ["-c", conf] });
  host = `127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("credentials in server URLs are never printed", () => {
  it("errors: authorization failed, with and without a scheme, in a list, as a token", async () => {
    for (const servers of [
      `nats://red:${WRONG}@${host}`,
      `red:${WRONG}@${host}`,
      `nats://127.0.0.1:1,nats://red:${WRONG}@${host}`,
      `nats://${WRONG.replace(/ /g, "")}@${host}`,
    ]) {
      const r = await runCli(["stream", "ls", "--timeout", "2s", "-s", servers]);
      expect(r.code, servers).toBe(3);
      expect(r.stderr, servers).toMatch(/authorization|cannot connect/);
      expectNoLeak(r.stderr + r.stdout, servers);
    }
  });

  it("--trace says where it connected, credentials as ***", async () => {
    const r = await runCli(["stream", "ls", "--trace", "-s", `red:${PASSWORD}@${host}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`(servers: ***@${host})`);
    expect(r.stderr).toContain(">>> $JS.API.STREAM.LIST");
    expectNoLeak(r.stderr + r.stdout, "--trace");
  });

  it("context ls and context info, human and --json", async () => {
    const home = mkdtempSync(join(dir, "xdg-"));
    mkdirSync(join(home, "nats", "context"), { recursive: true });
    const url = `nats://red:${PASSWORD}@${host},red:${WRONG}@[::1]:4222`;
    writeFileSync(join(home, "nats", "context", "red.json"), JSON.stringify({ url }));
    writeFileSync(join(home, "nats", "context.txt"), "red");
    const env = { XDG_CONFIG_HOME: home };
    const shown = `nats://***@${host},***@[::1]:4222`;
    const lsJson = await runCli(["context", "ls", "--json"], { env });
    expect(lsJson.json()[0].url).toBe(shown);
    const infoJson = await runCli(["context", "info", "--json"], { env });
    expect(infoJson.json().url).toBe(shown);
    const ls = await runCli(["context", "ls"], { env: { ...env, COLUMNS: "200" } });
    const info = await runCli(["context", "info"], { env });
    expect(info.stdout).toContain(shown);
    for (const [name, r] of Object.entries({ lsJson, infoJson, ls, info })) {
      expect(r.code, name).toBe(0);
      expectNoLeak(r.stdout + r.stderr, name);
    }
    // and the context connects with them
    const use = await runCli(["stream", "ls", "--json"], { env });
    expect(use.stderr).toBe("");
    expect(use.code).toBe(0);
  });

  it("serve's start line and /healthz", async () => {
    const stream = uniqueStream("RED");
    const servers = `nats://red:${PASSWORD}@${host}`;
    const add = await runCli(["stream", "add", "--stream", stream, "-s", servers]);
    expect(add.code).toBe(0);
    const serve = await startServe(["--stream", stream, "-s", servers], {});
    try {
      const line = JSON.parse(serve.stdout().split("\n")[0]!);
      expect(line).toMatchObject({ status: "listening", nats_servers: `nats://***@${host}` });
      const health = await fetch(`${serve.url}/healthz`);
      const body = await health.text();
      expect(health.status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ status: "ok", nats_servers: `nats://***@${host}` });
      expectNoLeak(serve.stdout() + serve.stderr() + body, "serve");
    } finally {
      await serve.stop("SIGTERM");
    }
    // the human start line too
    const human = startCli(["serve", "--port", "0", "--stream", stream, "-s", servers]);
    const out = () => human.stdout() + human.stderr();
    try {
      await waitFor(() => out().includes("Listening on"), 15_000, "serve's start line");
      expect(out()).toMatch(
        new RegExp(
          `Listening on http://\\S+ \\(stream ${stream}: .*; NATS nats://\\*\\*\\*@${host}\\)`,
        ),
      );
      expectNoLeak(out(), "serve's human start line");
    } finally {
      human.kill("SIGTERM");
      await human.exited;
    }
  });
});
