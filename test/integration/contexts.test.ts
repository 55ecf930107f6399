// Contexts as natscli writes them (issue 17 item 7), under a temporary XDG_CONFIG_HOME:
// user_jwt + user_seed against a server in operator mode, env://, file://, data:;base64,
// (nats context add --embed), op:// and nsc:// refused, $VAR in paths, a relative
// --context file.json, a selected context that no longer exists, NATS_CONTEXT="",
// --no-context, jetstream_api_prefix through an imported JetStream API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, cleanEnv, runCli, runProcess, uniqueStream, waitFor } from "../helpers/cli.js";
import { operatorSetup, type OperatorSetup } from "../helpers/jwt.js";
import { spawn } from "node:child_process";
import { connect } from "nats";
import { startServe } from "../helpers/serve.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

const dir = mkdtempSync(join(tmpdir(), "ts-ctx2-"));
let op: TestServer;
let auth: OperatorSetup;
let plain: TestServer;

/** A fresh config home holding `contexts` (written as natscli writes them), `selected`. */
function configHome(contexts: Record<string, object>, selected?: string): string {
  const home = mkdtempSync(join(dir, "xdg-"));
  mkdirSync(join(home, "nats", "context"), { recursive: true });
  for (const [name, body] of Object.entries(contexts)) {
    // natscontext marshals every field of its settings, empty ones included
    const full = {
      description: "",
      url: "",
      socks_proxy: "",
      token: "",
      user: "",
      password: "",
      creds: "",
      nkey: "",
      cert: "",
      key: "",
      ca: "",
      nsc: "",
      jetstream_domain: "",
      jetstream_api_prefix: "",
      jetstream_event_prefix: "",
      inbox_prefix: "",
      user_jwt: "",
      user_seed: "",
      color_scheme: "",
      tls_first: false,
      windows_cert_store: "",
      windows_cert_match_by: "",
      windows_cert_match: "",
      windows_ca_certs_match: null,
      ...body,
    };
    writeFileSync(join(home, "nats", "context", `${name}.json`), JSON.stringify(full, null, "  "), {
      mode: 0o600,
    });
  }
  if (selected) writeFileSync(join(home, "nats", "context.txt"), selected);
  return home;
}

/** user app of account APP, through the JetStream API account JS exports */
const appFlags = () => [
  "-s",
  plain.url,
  "--user",
  "app",
  "--password",
  "apppw",
  "--js-api-prefix",
  "JS.acc.API",
];
const embed = (text: string) => "data:;base64," + Buffer.from(text).toString("base64");

beforeAll(async () => {
  auth = operatorSetup();
  const conf = join(dir, "operator.conf");
  writeFileSync(conf, auth.config);
  writeFileSync(join(dir, "user.creds"), auth.creds);
  op = await startServer({ args: ["-c", conf] });
  const plainConf = join(dir, "plain.conf");
  // account JS holds JetStream and exports its API; APP imports it under JS.acc.API
  writeFileSync(
    plainConf,
    `system_account: SYS
accounts {
  SYS: { users: [{ user: sys, password: syspw }] }
  JS: { jetstream: enabled, users: [{ user: js, password: jspw }], exports: [{ service: "$JS.API.>" }] }
  APP: { users: [{ user: app, password: apppw }], imports: [{ service: { account: JS, subject: "$JS.API.>" }, to: "JS.acc.API.>" }] }
}
`,
  );
  plain = await startServer({ args: ["-c", plainConf] });
});
afterAll(async () => {
  await op?.stop();
  await plain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("JWT authentication from a context", () => {
  it("user_jwt + user_seed (nats context save --jwt --seed) connect; without them: refused", async () => {
    const home = configHome(
      { jwt: { url: op.url, user_jwt: auth.userJwt, user_seed: auth.userSeed } },
      "jwt",
    );
    const r = await runCli(["stream", "ls", "--json"], { env: { XDG_CONFIG_HOME: home } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([]);
    const anonymous = await runCli(["stream", "ls", "--timeout", "2s", "-s", op.url]);
    expect(anonymous.code).toBe(3);
  });

  it("nats context add --embed: creds, user_jwt and user_seed as data:;base64,", async () => {
    const home = configHome({
      creds: { url: op.url, creds: embed(auth.creds) },
      pair: {
        url: op.url,
        user_jwt: embed(auth.userJwt + "\n"),
        user_seed: embed(auth.userSeed + "\n"),
      },
    });
    for (const name of ["creds", "pair"]) {
      const r = await runCli(["--context", name, "stream", "add", "--json"], {
        env: { XDG_CONFIG_HOME: home, TWEETSTREAM_STREAM: `EMB_${name.toUpperCase()}` },
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const info = await runCli(["context", "info", "creds", "--json"], {
      env: { XDG_CONFIG_HOME: home },
    });
    expect(info.json()).toMatchObject({ creds: "embedded data" });
    expect(info.stdout).not.toContain(auth.userSeed);
  });

  it("env://, file:// and $VAR in paths; --jwt/--seed flags take the same forms", async () => {
    const home = configHome({
      env: { url: op.url, creds: "env://TS_TEST_CREDS" },
      file: { url: op.url, creds: "$TS_TEST_DIR/user.creds" },
      fileuri: {
        url: op.url,
        user_jwt: `file://${join(dir, "user.jwt")}`,
        user_seed: "env://TS_TEST_SEED",
      },
    });
    writeFileSync(join(dir, "user.jwt"), auth.userJwt + "\n");
    const env = {
      XDG_CONFIG_HOME: home,
      TS_TEST_CREDS: auth.creds,
      TS_TEST_DIR: dir,
      TS_TEST_SEED: auth.userSeed,
    };
    for (const name of ["env", "file", "fileuri"]) {
      const r = await runCli(["--context", name, "stream", "ls"], { env });
      expect(r.stderr, name).toBe("");
      expect(r.code, name).toBe(0);
    }
    const flags = await runCli(
      [
        "stream",
        "ls",
        "-s",
        op.url,
        "--jwt",
        `file://${join(dir, "user.jwt")}`,
        "--seed",
        "env://TS_TEST_SEED",
      ],
      { env },
    );
    expect(flags.stderr).toBe("");
    expect(flags.code).toBe(0);
  });

  it("a credential that cannot be resolved is exit 2 naming the context and field, never anonymous", async () => {
    const home = configHome({
      noseed: { url: op.url, user_jwt: auth.userJwt, user_seed: "env://TS_UNSET_SEED" },
      op: { url: op.url, creds: "op://vault/nats/creds" },
      nsc: { url: op.url, creds: "nsc://OP/APP/user" },
      legacy: { url: op.url, nsc: "nsc://OP/APP/user" },
      pw: { url: op.url, user: "x", password: "op://vault/nats/password" },
    });
    const env = { XDG_CONFIG_HOME: home };
    const noseed = await runCli(["--context", "noseed", "stream", "ls"], { env });
    expect(noseed.code).toBe(2);
    expect(noseed.stderr).toContain('context "noseed" field user_seed');
    expect(noseed.stderr).toContain("TS_UNSET_SEED is not set");
    for (const [name, field, what] of [
      ["op", "creds", "op:// (1Password)"],
      ["nsc", "creds", "nsc:// (the nsc tool)"],
      ["legacy", "nsc", "nsc:// (the nsc tool)"],
      ["pw", "password", "op:// (1Password)"],
    ]) {
      const r = await runCli(["--context", name!, "stream", "ls"], { env });
      expect(r.code, name).toBe(2);
      expect(r.stderr.trim(), name).toBe(
        `error: context "${name}" field ${field} uses ${what}, which tweetstream does not support; use a file path, file://, env:// or data:;base64, (nats context add --embed)`,
      );
    }
    const flag = await runCli(["stream", "ls", "-s", op.url, "--creds", "op://v/i/f"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--creds uses op:// (1Password)");
  });
});

describe("which context is in force", () => {
  const app = () => ({
    url: plain.url,
    user: "app",
    password: "apppw",
    jetstream_api_prefix: "JS.acc.API",
  });

  it("jetstream_api_prefix and --js-api-prefix reach a JetStream API imported from another account", async () => {
    const home = configHome({ app: app() });
    const env = { XDG_CONFIG_HOME: home };
    const r = await runCli(["--context", "app", "stream", "ls", "--json", "--trace"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(">>> JS.acc.API.STREAM.LIST");
    const flag = await runCli(["stream", "ls", "--json", ...appFlags()]);
    expect(flag.code).toBe(0);
    // without the prefix nothing answers in that account
    const none = await runCli(["stream", "ls", "--timeout", "1s", ...appFlags().slice(0, 6)]);
    expect(none.code).toBe(3);
  });

  it("a selected context that no longer exists is a notice and is ignored", async () => {
    const home = configHome({ app: app() }, "gone");
    const r = await runCli(
      ["stream", "ls", "--json", "-s", plain.url, "--user", "js", "--password", "jspw"],
      {
        env: { XDG_CONFIG_HOME: home },
      },
    );
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([]);
    expect(r.stderr.trim()).toBe(
      'warning: the selected context "gone" no longer exists; ignored (tweetstream context unselect)',
    );
  });

  it("an empty NATS_CONTEXT is ignored; --no-context ignores the selection and NATS_CONTEXT", async () => {
    const home = configHome({ app: app(), dead: { url: "nats://127.0.0.1:1" } }, "app");
    const env = { XDG_CONFIG_HOME: home };
    expect((await runCli(["stream", "ls"], { env: { ...env, NATS_CONTEXT: "" } })).code).toBe(0);
    const noctx = [
      "stream",
      "ls",
      "--json",
      "-s",
      plain.url,
      "--user",
      "js",
      "--password",
      "jspw",
      "--no-context",
    ];
    const dead = await runCli(noctx, { env: { ...env, NATS_CONTEXT: "dead" } });
    expect(dead.stderr).toBe("");
    expect(dead.code).toBe(0);
    // and without --no-context the selected app context's API prefix is used
    const withCtx = await runCli(
      noctx.filter((a) => a !== "--no-context").concat("--timeout", "1s", "--trace"),
      { env },
    );
    expect(withCtx.code).not.toBe(0);
    expect(withCtx.stderr).toContain(">>> JS.acc.API.");
  });

  it("a relative --context file.json is read from the working directory", async () => {
    const cwd = mkdtempSync(join(dir, "cwd-"));
    writeFileSync(join(cwd, "local.json"), JSON.stringify(app()));
    const r = await runProcess(
      process.execPath,
      [BIN, "--context", "local.json", "stream", "ls", "--json"],
      {
        env: cleanEnv({ XDG_CONFIG_HOME: join(dir, "none") }),
        cwd,
        name: "relative context",
      },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("context add|edit|select|unselect|rm write natscli's files", () => {
  it("add writes <name>.json (0600, natscli's field names), --select writes context.txt", async () => {
    const home = mkdtempSync(join(dir, "xdg-"));
    const env = { XDG_CONFIG_HOME: home };
    const add = await runCli(
      ["context", "add", "app", ...appFlags(), "--description", "imported", "--select", "--json"],
      { env },
    );
    expect(add.code).toBe(0);
    expect(add.json()).toMatchObject({
      name: "app",
      selected: true,
      password: "***",
      jetstream_api_prefix: "JS.acc.API",
    });
    const file = join(home, "nats", "context", "app.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "nats", "context")).mode & 0o777).toBe(0o700);
    // every field of natscontext's settings, in its order, as `nats context save` writes them
    const written = readFileSync(file, "utf8");
    expect(Object.keys(JSON.parse(written))).toEqual([
      "description",
      "url",
      "socks_proxy",
      "token",
      "user",
      "password",
      "creds",
      "nkey",
      "cert",
      "key",
      "ca",
      "nsc",
      "jetstream_domain",
      "jetstream_api_prefix",
      "jetstream_event_prefix",
      "inbox_prefix",
      "user_jwt",
      "user_seed",
      "color_scheme",
      "tls_first",
      "windows_cert_store",
      "windows_cert_match_by",
      "windows_cert_match",
      "windows_ca_certs_match",
    ]);
    expect(JSON.parse(written)).toMatchObject({
      url: plain.url,
      user: "app",
      password: "apppw",
      jetstream_api_prefix: "JS.acc.API",
      description: "imported",
      token: "",
      tls_first: false,
    });
    expect(readFileSync(join(home, "nats", "context.txt"), "utf8")).toBe("app");
    // the selected context is used by the next command
    expect((await runCli(["stream", "ls", "--json"], { env })).code).toBe(0);
    // edit changes one field and keeps the rest, natscli's fields included
    const raw = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...raw, color_scheme: "blue" }));
    const edit = await runCli(["context", "edit", "app", "--description", "changed"], { env });
    expect(edit.code).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
      description: "changed",
      color_scheme: "blue",
      user: "app",
    });
    // a new context without --server gets natscontext's default URL
    expect((await runCli(["context", "add", "bare"], { env })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(home, "nats", "context", "bare.json"), "utf8")).url).toBe(
      "nats://127.0.0.1:4222",
    );
    // without flags and without a terminal, edit never opens an editor
    const none = await runCli(["context", "edit", "app"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("run on a terminal to open $EDITOR");
  });

  it("edit without flags on a terminal opens $EDITOR on the context's JSON", async () => {
    const home = configHome({ ed: { url: plain.url, description: "before" } });
    // the editor only ever touches the copy tweetstream hands it (a JSON file in its temp dir)
    const editor = join(dir, "editor.sh");
    writeFileSync(
      editor,
      `#!/bin/sh
for last in "$@"; do :; done
case "$last" in */tweetstream-context-*/ed.json) ;; *) echo "unexpected file: $last" >&2; exit 3 ;; esac
sed -i 's/"before"/"after, edited"/' "$last"
`,
      { mode: 0o700 },
    );
    const child = spawn(
      "script",
      ["-qec", `${process.execPath} ${BIN} context edit ed`, "/dev/null"],
      {
        env: cleanEnv({ XDG_CONFIG_HOME: home, EDITOR: `${editor} --ignored-arg` }),
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(out).not.toContain("unexpected file");
    expect(code).toBe(0);
    const stored = JSON.parse(readFileSync(join(home, "nats", "context", "ed.json"), "utf8"));
    expect(stored).toMatchObject({ description: "after, edited", url: plain.url, socks_proxy: "" });
  });

  it("add --embed stores the creds file's content; the context connects from it alone", async () => {
    const home = mkdtempSync(join(dir, "xdg-"));
    const env = { XDG_CONFIG_HOME: home };
    const creds = join(dir, "embed-me.creds");
    writeFileSync(creds, auth.creds);
    const add = await runCli(["context", "add", "emb", "-s", op.url, "--creds", creds, "--embed"], {
      env,
    });
    expect(add.code).toBe(0);
    const stored = JSON.parse(readFileSync(join(home, "nats", "context", "emb.json"), "utf8"));
    expect(stored.creds).toBe(embed(auth.creds));
    rmSync(creds);
    const r = await runCli(["--context", "emb", "stream", "ls"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("select, unselect and rm; never a prompt without a terminal", async () => {
    const home = configHome({ a: { url: plain.url }, b: { url: plain.url } }, "a");
    const env = { XDG_CONFIG_HOME: home };
    const nats = join(home, "nats");
    expect((await runCli(["context", "select", "b"], { env })).code).toBe(0);
    expect(readFileSync(join(nats, "context.txt"), "utf8")).toBe("b");
    expect(readFileSync(join(nats, "previous-context.txt"), "utf8")).toBe("a");
    const unknown = await runCli(["context", "select", "zz"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown context "zz"; known contexts: a, b');
    const noName = await runCli(["context", "select"], { env });
    expect(noName.code).toBe(2);
    // the selected context is removed only with --force; without a terminal rm needs --force
    const selected = await runCli(["context", "rm", "b"], { env });
    expect(selected.code).toBe(2);
    expect(existsSync(join(nats, "context", "b.json"))).toBe(true);
    const noTty = await runCli(["context", "rm", "a"], { env });
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain("without a terminal to confirm; pass --force");
    expect((await runCli(["context", "rm", "a", "--force"], { env })).code).toBe(0);
    expect(existsSync(join(nats, "context", "a.json"))).toBe(false);
    const unsel = await runCli(["context", "unselect"], { env });
    expect(unsel.stdout.trim()).toBe('Unselected the "b" context');
    expect(existsSync(join(nats, "context.txt"))).toBe(false);
    const again = await runCli(["context", "unselect"], { env });
    expect(again.stdout.trim()).toBe("No context currently selected");
  });

  it("context ls marks missing files and warns when NATS_* variables override the selection", async () => {
    const home = configHome(
      {
        gone: {
          url: plain.url,
          creds: join(dir, "no-such.creds"),
          ca: `file://${join(dir, "no-ca.pem")}`,
        },
        fine: { url: plain.url, creds: join(dir, "user.creds") },
      },
      "fine",
    );
    const env = { XDG_CONFIG_HOME: home };
    const ls = await runCli(["context", "ls", "--json"], { env });
    const [fine, gone] = ls.json();
    expect(fine).not.toHaveProperty("missing_files");
    expect(gone.missing_files).toEqual(["creds", "ca"]);
    expect(ls.stderr).toBe("");
    const human = await runCli(["context", "ls"], {
      env: { ...env, COLUMNS: "200", NATS_URL: plain.url, NATS_USER: "x" },
    });
    expect(human.stdout).toContain("(missing files: creds, ca)");
    expect(human.stderr.trim()).toBe(
      `warning: NATS_URL, NATS_USER override the context "fine"'s settings`,
    );
    const info = await runCli(["context", "info", "gone"], { env });
    expect(info.stdout).toMatch(/Credentials: .*no-such\.creds \(missing\)/);
  });
});

describe("--connection-name", () => {
  it("names the connection as the server shows it (default tweetstream)", async () => {
    const stream = uniqueStream("CN");
    const js = ["-s", plain.url, "--user", "js", "--password", "jspw", "--stream", stream];
    expect((await runCli(["stream", "add", ...js])).code).toBe(0);
    const named = await startServe([...js, "--connection-name", "ts-named-conn"], {});
    const sys = await connect({ servers: plain.url, user: "sys", pass: "syspw" });
    try {
      const names = async () => {
        const reply = await sys.request("$SYS.REQ.ACCOUNT.JS.CONNZ", "{}", { timeout: 2000 });
        const connz = JSON.parse(new TextDecoder().decode(reply.data));
        return (connz.data.connections as Array<{ name?: string }>).map((c) => c.name);
      };
      await waitFor(
        async () => (await names()).includes("ts-named-conn"),
        10_000,
        "the named connection",
      );
      expect(await names()).not.toContain("tweetstream");
    } finally {
      await sys.close();
      await named.stop("SIGTERM");
    }
  });
});
