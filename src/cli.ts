// The commander program: global options, command registration, and the one place
// where an error becomes an exit code (see README "Exit codes").

import { Command, CommanderError, Help } from "commander";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { ConfigConflictError } from "./domain/config-change.js";
import { ExitCode, isCliError } from "./errors.js";
import { addProgramOptions } from "./global-options.js";
import { closeConnection } from "./nats/connection.js";
import { redact } from "./redact.js";
import { describeConfigConflict } from "./output/config-change.js";
import { fitLines } from "./output/format.js";
import { safeText } from "./output/safe-text.js";
import { guardStdio } from "./output/stdout.js";
import { jsonError, wantsJson } from "./output/json-error.js";
import {
  EXIT_CODES_HELP,
  examples,
  HELP_CONFIG,
  normalizeHelpArgs,
  StandInCommand,
} from "./commands/help.js";
import { refuseInvalidUtf8 } from "./parse.js";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

/**
 * The commands, in help order, each loaded on demand: a run that names a command loads
 * only that one (start-up is a feature: `tweet` should not pay for every other command's
 * modules); help, unknown commands and suggestions load them all.
 */
const COMMANDS: Array<[name: string, load: () => Promise<Command>, hidden?: "hidden"]> = [
  ["stream", async () => (await import("./commands/stream/index.js")).streamCommand],
  ["tweet", async () => (await import("./commands/tweet.js")).tweetCommand],
  ["like", async () => (await import("./commands/like.js")).likeCommand],
  ["publish", async () => (await import("./commands/publish.js")).publishCommand],
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
  /** every command with its options (completion walks the whole tree) */
  whole?: boolean;
}

export async function buildProgram(
  argv: string[] = process.argv,
  { whole = false }: BuildOptions = {},
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
  configureTree(program);
  return program;
}

/** --json was given: errors are one JSON object on stderr (output/json-error.ts). */
let jsonErrors = false;

/** exitOverride and stderr output on every command, so usage errors reach main(). */
function configureTree(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureHelp(HELP_CONFIG);
  cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    // under --json, exitCodeFor writes the usage error as the JSON object instead
    outputError: (s, write) => {
      if (!jsonErrors) write(safeText(redact(s), { keepNewlines: true }));
    },
  });
  for (const sub of cmd.commands) configureTree(sub);
}

/** An error line as the terminal on stderr (if it is one) shows it: wrapped between words. */
const errorLine = (text: string) =>
  fitLines(text, process.stderr.isTTY ? process.stderr.columns || undefined : undefined) + "\n";

/** Exit code of a thrown error; prints the one line it deserves. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help, --version, `help <cmd>` exit 0; usage errors (commander already printed
    // "error: …") and a bare group without a subcommand (help on stderr) exit 2
    const code = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    if (jsonErrors && code !== ExitCode.Ok) {
      process.stderr.write(jsonError(err.message.replace(/^error: /, ""), code));
    }
    return code;
  }
  if (isCliError(err)) {
    if (!err.reported) {
      // nats/ throws some failures as data; output/ words them
      const text =
        err instanceof ConfigConflictError ? describeConfigConflict(err.conflict) : err.message;
      process.stderr.write(
        jsonErrors
          ? jsonError(text, err.exitCode, err.errCode)
          : errorLine(`error: ${safeText(redact(text))}`),
      );
    }
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    jsonErrors
      ? jsonError(`internal error: ${message}`, ExitCode.Internal)
      : errorLine(`error: internal error: ${safeText(redact(message))}`),
  );
  if (process.env.TWEETSTREAM_DEBUG && err instanceof Error && err.stack) {
    process.stderr.write(redact(err.stack) + "\n");
  }
  return ExitCode.Internal;
}

export async function main(argv: string[]): Promise<void> {
  let code: number = ExitCode.Ok;
  guardStdio();
  try {
    jsonErrors = wantsJson(argv.slice(2));
    refuseInvalidUtf8(argv.slice(2));
    const args = [...argv.slice(0, 2), ...normalizeHelpArgs(argv.slice(2))];
    await (await buildProgram(args)).parseAsync(args);
  } catch (err) {
    code = exitCodeFor(err);
  } finally {
    await closeConnection();
  }
  process.exitCode = code;
  // The process normally ends here by itself. One known leak: when a server accepts TCP but
  // never answers, nats.js rejects connect() on its timeout yet leaves the half-closed
  // socket open. This unref'd timer never keeps the process alive; it only ends it if
  // something outside our control still does.
  setTimeout(() => process.exit(code), 250).unref();
}
