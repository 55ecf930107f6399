// The commander program: global options, command registration, and the one place
// where an error becomes an exit code (see README "Exit codes").

import { Command, CommanderError } from "commander";
import { createRequire } from "node:module";
import { streamCommand } from "./commands/stream/index.js";
import { viewCommand } from "./commands/view.js";
import { listenCommand } from "./commands/listen.js";
import { ExitCode, isCliError } from "./errors.js";
import { addProgramOptions } from "./global-options.js";
import { closeConnection } from "./nats/connection.js";
import { redact } from "./redact.js";
import { examples } from "./commands/help.js";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

export function buildProgram(): Command {
  const program = new Command("tweetstream")
    .description(
      "Event streaming on NATS JetStream: manage the stream, publish tweet events, view and process them",
    )
    .version(version, "-V, --version")
    .showSuggestionAfterError()
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  addProgramOptions(program);
  program.addCommand(streamCommand);
  program.addCommand(viewCommand);
  program.addCommand(listenCommand);
  program.addHelpText(
    "after",
    examples(
      "tweetstream stream add",
      "tweetstream stream ls",
      "NATS_URL=nats://127.0.0.1:4222 tweetstream stream info --json",
    ) +
      "\nExit codes: 0 ok, 1 internal error, 2 usage, 3 connection/auth/JetStream unavailable,\n4 not found, 5 conflict, 6 timed out. See README.md.\n",
  );
  configureTree(program);
  return program;
}

/** exitOverride and stderr output on every command, so usage errors reach main(). */
function configureTree(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(redact(s)),
  });
  for (const sub of cmd.commands) configureTree(sub);
}

/** Exit code of a thrown error; prints the one line it deserves. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (
      err.code === "commander.helpDisplayed" ||
      err.code === "commander.version" ||
      err.exitCode === 0
    ) {
      return ExitCode.Ok;
    }
    if (err.code === "commander.help") return ExitCode.Ok;
    // commander already printed "error: …"
    return ExitCode.Usage;
  }
  if (isCliError(err)) {
    if (!err.reported) process.stderr.write(`error: ${redact(err.message)}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: internal error: ${redact(message)}\n`);
  if (process.env.TWEETSTREAM_DEBUG && err instanceof Error && err.stack) {
    process.stderr.write(redact(err.stack) + "\n");
  }
  return ExitCode.Internal;
}

export async function main(argv: string[]): Promise<void> {
  let code: number = ExitCode.Ok;
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    code = exitCodeFor(err);
  } finally {
    await closeConnection();
  }
  process.exitCode = code;
}
