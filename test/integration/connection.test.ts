import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { BIN, cleanEnv, runCli } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { traced } from "../helpers/trace.js";

describe("unreachable server", () => {
  it("fails with one line within --timeout, exit 3", async () => {
    const started = Date.now();
    const r = await runCli(["stream", "ls", "--timeout", "2s"], {
      env: { NATS_URL: "nats://127.0.0.1:1" },
    });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot connect to nats:\/\/127\.0\.0\.1:1/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a server that accepts but never answers: one line within --timeout, exit 3", async () => {
    const { createServer } = await import("node:net");
    const sockets = new Set<import("node:net").Socket>();
    const silent = createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as import("node:net").AddressInfo).port;
    try {
      const started = Date.now();
      const r = await runCli([
        "stream",
        "ls",
        "--timeout",
        "1500ms",
        "-s",
        `nats://127.0.0.1:${port}`,
      ]);
      const took = Date.now() - started;
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toBe(`error: cannot connect to nats://127.0.0.1:${port}: timed out`);
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(12_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("rejects a bad --timeout (exit 2)", async () => {
    const r = await runCli(["stream", "ls", "--timeout", "forever"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid --timeout/);
  });
});

describe("server without JetStream", () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startServer({ jetstream: false });
  });
  afterAll(async () => plain?.stop());

  it("says JetStream is not enabled, exit 3", async () => {
    const r = await runCli(["stream", "ls"], { env: { NATS_URL: plain.url } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/JetStream is not enabled/);
  });
});

describe("user/password authentication", () => {
  let secured: TestServer;
  beforeAll(async () => {
    secured = await startServer({ args: ["--user", "alice", "--pass", "s3cretPassw0rd"] });
  });
  afterAll(async () => secured?.stop());

  it("connects with --user/--password and with NATS_USER/NATS_PASSWORD", async () => {
    const a = await runCli(
      ["stream", "ls", "--json", "--user", "alice", "--password", "s3cretPassw0rd"],
      {
        env: { NATS_URL: secured.url },
      },
    );
    expect(a.code).toBe(0);
    const b = await runCli(["stream", "ls", "--json"], {
      env: { NATS_URL: secured.url, NATS_USER: "alice", NATS_PASSWORD: "s3cretPassw0rd" },
    });
    expect(b.code).toBe(0);
  });

  it("connects with credentials in the URL, and never prints them", async () => {
    const url = `nats://alice:s3cretPassw0rd@127.0.0.1:${secured.port}`;
    const ok = await runCli(["stream", "info", "NOPE", "-s", url]);
    expect(ok.code).toBe(4);
    expect(ok.stderr + ok.stdout).not.toContain("s3cretPassw0rd");
  });

  it("wrong password: a clear authorization message, exit 3, no secret printed", async () => {
    const r = await runCli(["stream", "ls", "--user", "alice", "--password", "wrongPassw0rd"], {
      env: { NATS_URL: secured.url },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/authorization failed/);
    expect(r.stderr + r.stdout).not.toContain("wrongPassw0rd");
    const url = `nats://alice:wrongPassw0rd@127.0.0.1:${secured.port}`;
    const viaUrl = await runCli(["stream", "ls", "--json", "-s", url]);
    expect(viaUrl.code).toBe(3);
    expect(viaUrl.stderr + viaUrl.stdout).not.toContain("wrongPassw0rd");
    expect(viaUrl.stdout).toBe("");
  });

  it("no credentials: exit 3", async () => {
    const r = await runCli(["stream", "ls"], { env: { NATS_URL: secured.url } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/authorization/);
  });
});

describe("token authentication", () => {
  let secured: TestServer;
  beforeAll(async () => {
    secured = await startServer({ args: ["--auth", "t0ken-abcdef-123"] });
  });
  afterAll(async () => secured?.stop());

  it("connects with --token and NATS_TOKEN; a wrong token is exit 3 and never printed", async () => {
    expect(
      (
        await runCli(["stream", "ls", "--token", "t0ken-abcdef-123"], {
          env: { NATS_URL: secured.url },
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await runCli(["stream", "ls"], {
          env: { NATS_URL: secured.url, NATS_TOKEN: "t0ken-abcdef-123" },
        })
      ).code,
    ).toBe(0);
    const bad = await runCli(["stream", "ls", "--token", "wrong-token-999"], {
      env: { NATS_URL: secured.url },
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr + bad.stdout).not.toContain("wrong-token-999");
  });
});

describe("lazy loading and process hygiene", () => {
  it("--help and --version never load the NATS client, ora or cli-table3", async () => {
    for (const args of [
      ["--help"],
      ["--version"],
      ["stream", "--help"],
      ["stream", "add", "--help"],
      ["serve", "--help"],
    ]) {
      const r = await traced(args);
      expect(r.code).toBe(0);
      expect(r.loads).toContain("commander");
      expect(r.loads).not.toMatch(/node_modules\/nats\//);
      expect(r.loads).not.toMatch(/node_modules\/ora\//);
      expect(r.loads).not.toMatch(/node_modules\/cli-table3\//);
    }
  });

  it("a command without a spinner does not load ora", async () => {
    const r = await traced(["stream", "ls", "--json"], { NATS_URL: "nats://127.0.0.1:1" });
    expect(r.code).toBe(3);
    expect(r.loads).toMatch(/node_modules\/nats\//);
    expect(r.loads).not.toMatch(/node_modules\/ora\//);
  });

  it("without a terminal (a script, a pipe) chalk is not loaded; FORCE_COLOR loads it", async () => {
    const plain = await traced(["stream", "ls"], { NATS_URL: "nats://127.0.0.1:1" });
    expect(plain.code).toBe(3);
    expect(plain.loads).not.toMatch(/node_modules\/chalk\//);
    const forced = await traced(["stream", "ls"], {
      NATS_URL: "nats://127.0.0.1:1",
      FORCE_COLOR: "1",
    });
    expect(forced.loads).toMatch(/node_modules\/chalk\//);
  });

  it("every command's --help has an example", async () => {
    const cmds = [
      [],
      ["stream"],
      ["stream", "add"],
      ["stream", "ls"],
      ["stream", "info"],
      ["stream", "rm"],
      ["stream", "purge"],
      ["serve"],
    ];
    for (const c of cmds) {
      const r = await runCli([...c, "--help"]);
      expect(r.code, c.join(" ")).toBe(0);
      expect(r.stdout, c.join(" ")).toMatch(/Examples:\n\s+\$ tweetstream/);
    }
  });

  it("--help into a pipe closed early (| head -c 10) ends quietly", async () => {
    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, [BIN, "--help"], {
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.stdout.once("data", () => child.stdout.destroy());
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect(stderr).toBe("");
      expect(code).toBe(0);
    }
  });

  it("prints the version", async () => {
    const r = await runCli(["--version"]);
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("usage errors are exit 2 with one line", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
    const missing = await runCli(["stream", "add", "A", "B"]);
    expect(missing.code).toBe(2);
    for (const bare of [[], ["stream"]]) {
      const r = await runCli(bare);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^Usage: tweetstream/);
    }
  });
});
