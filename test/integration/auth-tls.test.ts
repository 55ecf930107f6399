// NKey and TLS connections against servers configured for them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "nats";
import { runCli } from "../helpers/cli.js";
import { serverVersion, startServer, type TestServer } from "../helpers/nats-server.js";

const dir = mkdtempSync(join(tmpdir(), "ts-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nkey authentication", () => {
  let server: TestServer;
  const user = nkeys.createUser();
  const seedFile = join(dir, "user.nk");
  const seed = new TextDecoder().decode(user.getSeed());
  beforeAll(async () => {
    writeFileSync(seedFile, seed + "\n");
    const conf = join(dir, "nkey.conf");
    writeFileSync(conf, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
    server = await startServer({ args: ["-c", conf] });
  });
  afterAll(async () => server?.stop());

  it("connects with --nkey and NATS_NKEY", async () => {
    expect(
      (
        await runCli(["stream", "ls", "--json", "--nkey", seedFile], {
          env: { NATS_URL: server.url },
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await runCli(["stream", "ls", "--json"], {
          env: { NATS_URL: server.url, NATS_NKEY: seedFile },
        })
      ).code,
    ).toBe(0);
  });

  it("a wrong seed is exit 3 and no seed is ever printed", async () => {
    const other = nkeys.createUser();
    const otherSeed = new TextDecoder().decode(other.getSeed());
    const file = join(dir, "other.nk");
    writeFileSync(file, otherSeed);
    const r = await runCli(["stream", "ls", "--nkey", file], { env: { NATS_URL: server.url } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/authorization failed/);
    expect(r.stderr + r.stdout).not.toContain(otherSeed);
    expect(r.stderr + r.stdout).not.toContain(seed);
  });

  it("a missing seed file is exit 2 with one line", async () => {
    const r = await runCli(["stream", "ls", "--nkey", join(dir, "nope.nk")], {
      env: { NATS_URL: server.url },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: cannot read the --nkey file .*nope\.nk \(ENOENT\)$/);
  });
});

describe("TLS", () => {
  let server: TestServer;
  const ca = join(dir, "ca.pem");
  beforeAll(async () => {
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=tweetstream test CA",
      "-keyout",
      "ca-key.pem",
      "-out",
      "ca.pem",
    );
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "server-key.pem",
      "-out",
      "server.csr",
    );
    writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    ssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
      "-out",
      "server.pem",
    );
    server = await startServer({
      args: [
        "--tls",
        "--tlscert",
        join(dir, "server.pem"),
        "--tlskey",
        join(dir, "server-key.pem"),
      ],
    });
  });
  afterAll(async () => server?.stop());

  it("connects with --tls-ca (and NATS_CA)", async () => {
    const url = `tls://127.0.0.1:${server.port}`;
    const a = await runCli(["stream", "ls", "--json", "-s", url, "--tls-ca", ca]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    expect(
      (await runCli(["stream", "ls", "--json"], { env: { NATS_URL: url, NATS_CA: ca } })).code,
    ).toBe(0);
  });

  it("natscli's spellings --tlsca (and a context's ca) work too", async () => {
    const url = `tls://127.0.0.1:${server.port}`;
    const a = await runCli(["stream", "ls", "--json", "-s", url, "--tlsca", ca]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const home = join(dir, "xdg");
    mkdirSync(join(home, "nats", "context"), { recursive: true });
    writeFileSync(join(home, "nats", "context", "tls.json"), JSON.stringify({ url, ca }));
    const c = await runCli(["stream", "ls", "--json", "--context", "tls"], {
      env: { XDG_CONFIG_HOME: home },
    });
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
  });

  it("--tlsfirst against a server with handshake_first (nats-server 2.10+)", async (t) => {
    const [major, minor] = serverVersion().replace(/^v/, "").split(".").map(Number);
    if (major! < 2 || (major === 2 && minor! < 10)) return t.skip();
    const conf = join(dir, "tlsfirst.conf");
    writeFileSync(
      conf,
      `tls { cert_file: "${join(dir, "server.pem")}", key_file: "${join(dir, "server-key.pem")}", handshake_first: true }\n`,
    );
    const first = await startServer({ args: ["-c", conf] });
    try {
      const url = `tls://127.0.0.1:${first.port}`;
      const ok = await runCli(["stream", "ls", "--json", "-s", url, "--tlsca", ca, "--tlsfirst"]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      const without = await runCli(["stream", "ls", "-s", url, "--tlsca", ca, "--timeout", "1s"]);
      expect(without.code).toBe(3);
    } finally {
      await first.stop();
    }
  });

  it("an untrusted server certificate is exit 3 with one line", async () => {
    const r = await runCli(["stream", "ls", "-s", `tls://127.0.0.1:${server.port}`]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
