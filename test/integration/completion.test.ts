// Shell completion through bash's own machinery: the script from `completion bash` is
// sourced, COMP_WORDS / COMP_CWORD set as bash sets them, and _tweetstream called.
// Stream, consumer and context names come from a real server and a temporary config.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, installOnPath, runCli, uniqueStream } from "../helpers/cli.js";
import { publishEvents, withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

const dir = mkdtempSync(join(tmpdir(), "ts-compl-"));
const binDir = join(dir, "bin");
const xdg = join(dir, "xdg");
let server: TestServer;
const stream = uniqueStream("COMPL");

beforeAll(async () => {
  // `tweetstream` on PATH, as after a global install
  installOnPath(binDir);
  mkdirSync(join(xdg, "nats", "context"), { recursive: true });
  writeFileSync(join(xdg, "nats", "context", "prod.json"), '{"url":"nats://127.0.0.1:1"}');
  writeFileSync(join(xdg, "nats", "context", "local.json"), '{"url":"nats://127.0.0.1:2"}');
  writeFileSync(join(dir, "events.ndjson"), "");
  server = await startServer();
  const env = { NATS_URL: server.url };
  expect((await runCli(["stream", "add", stream], { env })).code).toBe(0);
  expect((await runCli(["stream", "add", stream + "_B"], { env })).code).toBe(0);
  // its stream, KV_<bucket>, is JetStream's own: never a candidate
  await withConnection(server.url, async (nc) => void (await nc.jetstream().views.kv(stream)));
  await publishEvents(server.url, stream, 1);
  const listen = ["listen", "--stream", stream, "--durable", "worker", "--count", "1"];
  expect((await runCli(listen, { env })).code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** COMPREPLY for the words typed after `tweetstream` (the last one being completed). */
function complete(words: string[], natsUrl = server.url, shell = "bash"): string[] {
  const all = ["tweetstream", ...words];
  const quoted = all.map((w) => `'${w}'`).join(" ");
  const script = `source <(tweetstream completion ${shell}) || exit 9
complete -p tweetstream >/dev/null || exit 8
COMP_WORDS=(${quoted}); COMP_CWORD=${all.length - 1}; COMP_LINE="${all.join(" ")}"; COMP_POINT=\${#COMP_LINE}
_tweetstream tweetstream '${words[words.length - 1]}' '${all[all.length - 2]}'
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync("bash", ["-c", script], {
    cwd: dir,
    encoding: "utf8",
    env: cleanEnv({
      PATH: `${binDir}:${process.env.PATH}`,
      NATS_URL: natsUrl,
      XDG_CONFIG_HOME: xdg,
    }),
    timeout: 20_000,
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.split("\n").filter((l) => l !== "");
}

describe("bash completion", () => {
  it("completes commands and subcommands from the command tree", () => {
    const top = complete([""]);
    for (const c of ["stream", "tweet", "listen", "consumer", "context", "completion"])
      expect(top).toContain(c);
    expect(top).not.toContain("__complete");
    expect(complete(["st"])).toEqual(["stream"]);
    expect(complete(["stream", "i"])).toEqual(["info"]);
    expect(complete(["consumer", ""])).toEqual(
      expect.arrayContaining(["ls", "info", "rm", "next"]),
    );
  });

  it("knows natscli's command aliases (str, st, ms, s; con, obs, c; ctx)", () => {
    for (const alias of ["str", "st", "ms", "s"]) expect(complete([alias, "i"])).toEqual(["info"]);
    for (const alias of ["con", "obs", "c"])
      expect(complete([alias, "rm", stream, ""])).toEqual(["worker"]);
    expect(complete(["ctx", "i"])).toEqual(["info"]);
    expect(complete(["str", "info", ""])).toEqual([stream, stream + "_B"]);
  });

  it("completes options, global ones and the command's own, and fixed choices", () => {
    expect(complete(["stream", "info", "--js"]).sort()).toEqual(
      ["--json", "--js-domain", "--js-api-prefix"].sort(),
    );
    expect(complete(["stream", "add", "--rep"])).toEqual(["--replicas"]);
    expect(complete(["--tls"])).toEqual(
      expect.arrayContaining(["--tls-ca", "--tlsca", "--tlsfirst"]),
    );
    expect(complete(["stream", "add", "--storage", ""])).toEqual(["file", "memory"]);
    expect(complete(["completion", ""])).toEqual(["bash", "zsh", "fish"]);
  });

  it("completes stream and durable consumer names from the server, context names from the config", () => {
    expect(complete(["stream", "info", ""])).toEqual([stream, stream + "_B"]);
    expect(complete(["view", stream.slice(0, -2)])).toEqual([stream, stream + "_B"]);
    expect(complete(["--stream", ""])).toContain(stream);
    expect(complete(["consumer", "info", stream, ""])).toEqual(["worker"]);
    expect(complete(["--stream", stream, "listen", "--durable", ""])).toEqual(["worker"]);
    expect(complete(["--context", ""])).toEqual(["local", "prod"]);
    expect(complete(["context", "info", "p"])).toEqual(["prod"]);
    expect(complete(["publish", "--file", "ev"])).toEqual(["events.ndjson"]);
  });

  it("an unreachable server gives no names, silently and quickly", () => {
    const started = Date.now();
    expect(complete(["stream", "info", ""], "nats://127.0.0.1:1")).toEqual([]);
    expect(complete(["consumer", "info", stream, ""], "nats://127.0.0.1:1")).toEqual([]);
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

describe("zsh and fish scripts", () => {
  for (const shell of ["zsh", "fish"]) {
    const found = spawnSync(shell, ["-c", "exit 0"]).status === 0;
    it.skipIf(!found)(`the ${shell} script is valid ${shell}`, async () => {
      const r = await runCli(["completion", shell]);
      expect(r.code).toBe(0);
      const file = join(dir, `script.${shell}`);
      writeFileSync(file, r.stdout);
      const check = spawnSync(shell, ["-n", file], { encoding: "utf8" });
      expect(check.stderr).toBe("");
      expect(check.status).toBe(0);
    });
  }

  it("an unknown shell is exit 2", async () => {
    const r = await runCli(["completion", "tcsh"]);
    expect(r.code).toBe(2);
  });
});
