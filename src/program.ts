// The commander program: its global options and the list of commands, each loaded on demand.
// Apart from cli.ts, which runs it and turns errors into exit codes: the build and the tests
// build the program without running it.

import { Command, Help } from "commander";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { addProgramOptions } from "./global-options.js";
import { redact } from "./redact.js";
import { safeText } from "./output/safe-text.js";
import { EXIT_CODES_HELP, examples, HELP_CONFIG, StandInCommand } from "./commands/help.js";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

/**
 * The commands, in help order, each loaded on demand: a run that names a command loads
 * only that one (start-up is a feature: `tweet` should not pay for every other command's
 * modules); help, unknown commands and suggestions load them all.
 */
const COMMANDS: Array<[name: string, load: () => Promise<Command>, hidden?: "hidden"]> = [
  ["stream", async () => (await import("./commands/stream/index.js")).streamCommand],
  ["tweet", async () => (await import("./commands/publishing/tweet.js")).tweetCommand],
  ["like", async () => (await import("./commands/publishing/like.js")).likeCommand],
  ["publish", async () => (await import("./commands/publishing/publish.js")).publishCommand],
  ["view", async () => (await import("./commands/view.js")).viewCommand],
  ["listen", async () => (await import("./commands/listen.js")).listenCommand],
  ["serve", async () => (await import("./commands/serve.js")).serveCommand],
  ["consumer", async () => (await import("./commands/consumer/index.js")).consumerCommand],
  ["context", async () => (await import("./commands/context/index.js")).contextCommand],
  ["completion", async () => (await import("./commands/completion.js")).completionCommand],
  ["__complete", async () => (await import("./commands/completion.js")).completeCommand, "hidden"],
];

/** natscli's command aliases (`nats str ls`, `nats con info`, `nats ctx ls`). */
const ALIASES: Record<string, string[]> = {
  stream: ["str", "st", "ms", "s"],
  consumer: ["con", "obs", "c"],
  context: ["ctx"],
};

/** The command `word` names, by its name or one of natscli's aliases. */
function commandNamed(word: string | undefined): string | undefined {
  if (word === undefined) return undefined;
  if (COMMANDS.some(([name]) => name === word)) return word;
  return Object.keys(ALIASES).find((name) => ALIASES[name]!.includes(word));
}

/** Loads a command and gives it its aliases. */
async function loadCommand(name: string, load: () => Promise<Command>): Promise<Command> {
  const cmd = await load();
  const missing = (ALIASES[name] ?? []).filter((a) => !cmd.aliases().includes(a));
  if (missing.length > 0) cmd.aliases(missing);
  return cmd;
}

/** The words of `args` that are not options or option values (up to a `--`). */
function positionalWords(program: Command, args: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg.startsWith("-") && arg !== "-") {
      const opt = program.options.find((o) => o.long === arg || o.short === arg);
      if (opt && (opt.required || opt.optional)) i++; // its value is the next word
      continue;
    }
    words.push(arg);
  }
  return words;
}

/** A top-level command as the program's help lists it; written by the build. */
export interface CommandSummary {
  name: string;
  /** the "Commands:" term: name, `[options]`, arguments */
  term: string;
  summary: string;
  hidden: boolean;
}

/** Every top-level command's summary, for the build to write to dist/commands.json. */
export async function commandSummaries(): Promise<CommandSummary[]> {
  const help = new Help();
  return Promise.all(
    COMMANDS.map(async ([name, load, hidden]) => {
      const cmd = await loadCommand(name, load);
      const summary = help.subcommandDescription(cmd);
      return { name, term: help.subcommandTerm(cmd), summary, hidden: hidden === "hidden" };
    }),
  );
}

/**
 * The program's own help (`--help`, `help`, no command at all) shows only each command's
 * term and summary: stand-ins carrying them (from dist/commands.json) spare loading every
 * command and its options. Undefined when that file is missing (running from src/).
 */
function standIns(): StandInCommand[] | undefined {
  let summaries: CommandSummary[];
  try {
    summaries = JSON.parse(readFileSync(new URL("./commands.json", import.meta.url), "utf8"));
  } catch {
    return undefined;
  }
  return summaries.map((s) => new StandInCommand(s.name, s.term, s.summary, s.hidden));
}

export interface BuildOptions {
  /** every command with its options (as `__complete` gets it) */
  whole?: boolean;
  /** --json was given: usage errors are left to cli.ts, which writes them as JSON */
  jsonErrors?: boolean;
}

export async function buildProgram(
  argv: string[] = process.argv,
  { whole: wholeTree = false, jsonErrors = false }: BuildOptions = {},
): Promise<Command> {
  const program = new Command("tweetstream")
    .description(
      "Event streaming on NATS JetStream: manage the stream, publish tweet events, view and process them",
    )
    .version(version, "-V, --version")
    .showSuggestionAfterError()
    .enablePositionalOptions()
    .configureHelp(HELP_CONFIG);
  addProgramOptions(program);
  const args = argv.slice(2);
  const words = positionalWords(program, args);
  const named = commandNamed(words[0]);
  // completion walks the whole tree (commands/completion.ts reads it from its parent)
  const whole = wholeTree || named === "__complete";
  // `tweetstream --version` needs no command at all
  const versionOnly = named === undefined && (args.includes("--version") || args.includes("-V"));
  const programHelp = words.length === 0 || (words.length === 1 && words[0] === "help");
  const light = !whole && !versionOnly && programHelp ? standIns() : undefined;
  if (light) {
    for (const cmd of light) program.addCommand(cmd, { hidden: cmd.hiddenStandIn });
  } else {
    for (const [name, load, hidden] of COMMANDS) {
      if (versionOnly) break;
      if (whole || named === undefined || named === name) {
        program.addCommand(await loadCommand(name, load), { hidden: hidden === "hidden" });
      }
    }
  }
  program.addHelpText(
    "after",
    examples(
      "tweetstream stream add",
      'tweetstream tweet "hello world !"',
      "tweetstream view --subject tweet_liked",
      "tweetstream listen --durable ci --count 1 --timeout 30s --json",
      "NATS_URL=nats://127.0.0.1:4222 tweetstream stream ls --json",
    ) + EXIT_CODES_HELP,
  );
  configureTree(program, jsonErrors);
  return program;
}

/** exitOverride and stderr output on every command, so usage errors reach main(). */
function configureTree(cmd: Command, jsonErrors: boolean): void {
  cmd.exitOverride();
  cmd.configureHelp(HELP_CONFIG);
  cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    // under --json, cli.ts exitCodeFor writes the usage error as the JSON object instead
    outputError: (s, write) => {
      if (!jsonErrors) write(safeText(redact(s), { keepNewlines: true }));
    },
  });
  for (const sub of cmd.commands) configureTree(sub, jsonErrors);
}
