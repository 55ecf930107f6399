// Names from the server and the config are data in every shell's completion: streams,
// durables and contexts named like shell code, quotes, globs and non-ASCII come back
// intact, nothing they hold runs, nothing they hold globs. Each shell's own machinery
// runs the script from `completion <shell>`: bash calls _tweetstream with COMP_WORDS /
// COMP_CWORD set; zsh calls it with `words` / CURRENT set and compadd / _files captured,
// and types TAB in an interactive zsh (zpty, compinit) to see what it inserts;
// fish answers `complete -C`. The stream names are ones nats-server itself accepts
// (2.9 and 2.15 refuse spaces, `/`, `\`, tabs and newlines, not `$(`, `;`, quotes or globs).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, installOnPath } from "../helpers/cli.js";
import { withConnection } from "../helpers/fixtures.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

const dir = mkdtempSync(join(tmpdir(), "ts-compl-names-"));
const binDir = join(dir, "bin");
const xdg = join(dir, "xdg");
const cwd = join(dir, "cwd");
let server: TestServer;

const STREAMS = [
  "$(touch${IFS}PWNED1)",
  "`touch${IFS}PWNED2`",
  "x;touch${IFS}PWNED3",
  `q'uo"te`,
  "g?ob[a-z]",
  "héllo_ñ_✓",
  "$HOME",
  "~root",
];
const DURABLES = ["$(touch${IFS}PWNED4)", "`touch${IFS}PWNED5`", "d'q\"d", "d?[a-z]"];
const CONTEXTS = ["my ctx $(touch PWNED6)", "*", "semi;colon 'q'", "ünï code"];
/** Names a candidate line cannot carry: left out, never split into two candidates. */
const CONTROL_STREAM = "ctl\u0001x";
const NEWLINE_CONTEXT = "new\nline";
/** A file the glob names would match if a shell expanded them. */
const GLOB_BAIT = ["gxobq", "dx"];
const sorted = (names: string[]) => [...names].sort();

const found = (shell: string) => spawnSync(shell, ["-c", "exit 0"]).status === 0;

beforeAll(async () => {
  installOnPath(binDir);
  mkdirSync(join(xdg, "nats", "context"), { recursive: true });
  for (const c of [...CONTEXTS, NEWLINE_CONTEXT])
    writeFileSync(join(xdg, "nats", "context", `${c}.json`), '{"url":"nats://127.0.0.1:1"}');
  mkdirSync(cwd);
  for (const f of GLOB_BAIT) writeFileSync(join(cwd, f), "");
  server = await startServer();
  await withConnection(server.url, async (nc) => {
    const jsm = await nc.jetstreamManager();
    const all = [...STREAMS, CONTROL_STREAM];
    for (const [i, name] of all.entries()) {
      await jsm.streams.add({ name, subjects: [`compl.${i}`] });
    }
    for (const durable of DURABLES) {
      await jsm.consumers.add(STREAMS[0]!, {
        durable_name: durable,
        ack_policy: "explicit" as never,
      });
    }
  });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function env() {
  return cleanEnv({
    PATH: `${binDir}:${process.env.PATH}`,
    NATS_URL: server.url,
    XDG_CONFIG_HOME: xdg,
    HOME: dir,
  });
}

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...env(), ...extraEnv },
    timeout: 30_000,
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Nothing a name held ran: the working directory holds only the bait. */
function expectNothingRan() {
  expect(readdirSync(cwd).sort()).toEqual(sorted(GLOB_BAIT));
}

/**
 * The words bash reads back from each COMPREPLY entry after _tweetstream ran for `words`
 * as typed (raw, quotes included), as it reads the command line the user runs: inside the
 * quote the word opened (readline adds it around the entry), each entry one word.
 */
function bash(words: string[]): string[] {
  const last = words[words.length - 1]!;
  const open = /^['"]/.test(last) && last.indexOf(last[0]!, 1) < 0 ? last[0]! : "";
  const script = `source <(tweetstream completion bash) || exit 9
COMP_WORDS=(tweetstream "$@"); COMP_CWORD=$#; COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
_tweetstream tweetstream "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
for r in "\${COMPREPLY[@]}"; do
  eval "set -- $Q$r$Q"
  (( $# == 1 )) || exit 7
  printf '%s\\0' "$1"
done`;
  return run("bash", ["--norc", "--noprofile", "-c", script, "bash", ...words], { Q: open })
    .split("\0")
    .slice(0, -1);
}

/** What zsh's completion function handed compadd for `words` as typed. */
function zsh(words: string[]): string[] {
  const script = `compdef() { : }
compadd() { [[ $1 == -- ]] && shift; (( $# == 0 )) || print -rN -- "$@" }
_files() { print -rN -- ":files" }
source <(tweetstream completion zsh) || exit 9
words=(tweetstream "$@"); CURRENT=\${#words}
_tweetstream`;
  return run("zsh", ["-f", "-c", script, "zsh", ...words])
    .split("\0")
    .slice(0, -1);
}

/**
 * The command line after typing `line` and TAB in an interactive zsh (in a zpty, with
 * compinit and the sourced script): what zsh's own completion inserted, quoting included.
 * A comppostfuncs hook marks the completion done; then ^X writes the line to a file.
 */
function zshInteractive(line: string): string {
  const out = join(dir, `zle-${Math.random().toString(36).slice(2)}`);
  const script = `zmodload zsh/zpty || exit 9
zpty -b z "zsh -f -i" || exit 8
zpty -w z "PS1='> '; autoload -Uz compinit && compinit -u -D; source <(tweetstream completion zsh)"
zpty -w z "dump() { print -rn -- \\"\\$BUFFER\\" > \${(q)1}.tmp && mv \${(q)1}.tmp \${(q)1} }"
zpty -w z "zle -N dump; bindkey '^X' dump"
zpty -w z "mark() { : > \${(q)1}.done }; comppostfuncs=(mark)"
zpty -w -n z "$2"$'\t'
for i in {1..400}; do [[ -e $1.done ]] && break; sleep 0.05; done
zpty -w -n z $'\x18'
for i in {1..400}; do [[ -e $1 ]] && break; sleep 0.05; done
zpty -d z
cat -- $1`;
  return run("zsh", ["-f", "-c", script, "zsh", out, line]);
}

/**
 * The command line after typing `line` and TAB in an interactive bash (in a zpty): what
 * readline inserted with the registration `completion bash` made (its options, e.g.
 * `-o filenames`, kept; the function wrapped only to mark the completion done); then
 * ^X (bind -x) writes the line to a file.
 */
function bashInteractive(line: string): string {
  const out = join(dir, `rl-${Math.random().toString(36).slice(2)}`);
  const setup = [
    "PS1='> '; source <(tweetstream completion bash)",
    `_wrap() { _tweetstream "$@"; : > ${"$"}{OUT}.done; }`,
    `eval "$(complete -p tweetstream | sed 's/-F _tweetstream/-F _wrap/')"`,
    `dump() { printf %s "$READLINE_LINE" > ${"$"}{OUT}.tmp && mv ${"$"}{OUT}.tmp ${"$"}OUT; }`,
    `bind -x '"\\C-x": dump'`,
  ];
  const script = `zmodload zsh/zpty || exit 9
zpty -b b "OUT=\${(q)1} bash --norc --noprofile -i" || exit 8
for l in "\${(@)argv[3,-1]}"; do zpty -w b "$l"; done
zpty -w -n b "$2"$'\t'
for i in {1..400}; do [[ -e $1.done ]] && break; sleep 0.05; done
zpty -w -n b $'\x18'
for i in {1..400}; do [[ -e $1 ]] && break; sleep 0.05; done
zpty -d b
cat -- $1`;
  return run("zsh", ["-f", "-c", script, "zsh", out, line, ...setup]);
}

/** The candidates fish's `complete -C` gives for a command line. */
function fish(line: string): string[] {
  const script = `source (tweetstream completion fish | psub); or exit 9
complete -C $argv[1]`;
  return run("fish", ["--no-config", "-c", script, `tweetstream ${line}`])
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t")[0]!)
    .sort(); // fish orders candidates its own way
}

describe.each([
  ["bash", bash],
  ["zsh", zsh],
])("%s: names are data", (shell, complete) => {
  it.skipIf(!found(shell))("streams, durables and contexts come back intact", () => {
    expect(complete(["stream", "info", ""])).toEqual(sorted(STREAMS));
    expect(complete(["--stream", ""])).toEqual(sorted(STREAMS));
    expect(complete(["consumer", "info", `'${STREAMS[0]}'`, ""])).toEqual(sorted(DURABLES));
    expect(complete(["--context", ""])).toEqual(sorted(CONTEXTS));
    expectNothingRan();
  });

  it.skipIf(!found(shell))("filters by the typed prefix, unquoted, never expanded", () => {
    expect(complete(["stream", "info", "'$(t"])).toEqual([STREAMS[0]]);
    expect(complete(["stream", "info", "\\$\\(t"])).toEqual([STREAMS[0]]);
    expect(complete(["stream", "info", '"\\$(t'])).toEqual([STREAMS[0]]);
    expect(complete(["stream", "info", "\\`"])).toEqual([STREAMS[1]]);
    expect(complete(["stream", "info", "g?"])).toEqual([STREAMS[4]]);
    expect(complete(["stream", "info", "\\$H"])).toEqual(["$HOME"]);
    expect(complete(["stream", "info", "\\~"])).toEqual(["~root"]);
    expect(complete(["stream", "info", "hé"])).toEqual([STREAMS[5]]);
    expect(complete(["stream", "info", "q\\'"])).toEqual([STREAMS[3]]);
    expect(complete(["--stream", `'${STREAMS[0]}'`, "listen", "--durable", "d"])).toEqual(
      [DURABLES[3], DURABLES[2]].sort(),
    );
    expect(complete(["context", "info", "'my ctx "])).toEqual([CONTEXTS[0]]);
    expect(complete(["context", "info", "semi\\;"])).toEqual([CONTEXTS[2]]);
    expect(complete(["context", "info", "\\*"])).toEqual(["*"]);
    expectNothingRan();
  });
});

/** Typed, then TAB: the line as inserted (a unique name, whole, quoted to read back as it is). */
const INSERTS: [string, string][] = [
  ["stream info \\$\\(t", "stream info \\$\\(touch\\$\\{IFS\\}PWNED1\\) "],
  ["stream info g", "stream info g\\?ob\\[a-z\\] "],
  ["stream info x", "stream info x\\;touch\\$\\{IFS\\}PWNED3 "],
  ["context info sem", "context info semi\\;colon\\ \\'q\\' "],
  ["stream info '$(t", "stream info '$(touch${IFS}PWNED1)' "],
  ['stream info "\\$(t', 'stream info "\\$(touch\\${IFS}PWNED1)" '],
  ["stream info q", "stream info q\\'uo\\\"te "],
  ["stream info h", "stream info héllo_ñ_✓ "],
];

describe.each([
  ["bash (readline)", bashInteractive],
  ["zsh (zle)", zshInteractive],
])("%s in a zpty: what TAB inserts", (_shell, typeTab) => {
  it.skipIf(!found("bash") || !found("zsh"))(
    "a unique name is inserted whole and quoted, and nothing runs",
    () => {
      for (const [typed, inserted] of INSERTS) {
        expect(typeTab(`tweetstream ${typed}`)).toBe(`tweetstream ${inserted}`);
      }
      expectNothingRan();
    },
  );
});

describe("fish: names are data", () => {
  it.skipIf(!found("fish"))("streams, durables and contexts come back intact", () => {
    expect(fish("stream info ")).toEqual(sorted(STREAMS));
    expect(fish(`consumer info '${STREAMS[0]}' `)).toEqual(sorted(DURABLES));
    expect(fish("--context ")).toEqual(sorted(CONTEXTS));
    expectNothingRan();
  });

  it.skipIf(!found("fish"))("filters by the typed prefix, unquoted, never expanded", () => {
    expect(fish("stream info '$(t")).toEqual([STREAMS[0]]);
    expect(fish("stream info \\$\\(t")).toEqual([STREAMS[0]]);
    expect(fish("stream info g?")).toEqual([STREAMS[4]]);
    expect(fish("stream info hé")).toEqual([STREAMS[5]]);
    expect(fish(`--stream '${STREAMS[0]}' listen --durable d`)).toEqual(
      [DURABLES[3], DURABLES[2]].sort(),
    );
    expect(fish("context info 'my ctx ")).toEqual([CONTEXTS[0]]);
    expectNothingRan();
  });
});
