// The entry point: runs the program (program.ts: global options, the commands) and is the
// one place where an error becomes an exit code (see README "Exit codes").

import { CommanderError } from "commander";
import { ConfigConflictError } from "./domain/config-change.js";
import { ExitCode, isCliError } from "./errors.js";
import { closeConnection } from "./nats/connection.js";
import { redact } from "./redact.js";
import { describeConfigConflict } from "./output/config-change.js";
import { fitLines } from "./output/format.js";
import { safeText } from "./output/safe-text.js";
import { guardStdio } from "./output/stdout.js";
import { jsonError, wantsJson } from "./output/json-error.js";
import { normalizeHelpArgs } from "./commands/help.js";
import { buildProgram } from "./program.js";
import { refuseInvalidUtf8 } from "./parse.js";

// built by program.ts; exported from the bundle's entry for scripts/build.mjs and the tests
export { buildProgram, commandSummaries, type CommandSummary } from "./program.js";

/** --json was given: errors are one JSON object on stderr (output/json-error.ts). */
let jsonErrors = false;

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
    await (await buildProgram(args, { jsonErrors })).parseAsync(args);
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
