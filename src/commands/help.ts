// Shared bits of command help: the examples block every --help ends with, the "Global
// Options" section of a leaf command (the global options that work after it), and the
// exit codes at the end of the program's help.

import { Command, Help, type HelpConfiguration, type Option } from "commander";

/**
 * The examples block. An example may span lines (a shell line continued with `\`): its
 * later lines are indented under the first. Every help line fits
 * 80 columns (test/integration/columns.test.ts).
 */
export function examples(...lines: string[]): string {
  const shown = lines.map((l) => `  $ ${l.split("\n").join("\n    ")}`);
  return `\nExamples:\n${shown.join("\n")}\n`;
}

export const EXIT_CODES_HELP =
  "\nExit codes: 0 ok, 1 internal error, 2 usage, 3 connection, auth or JetStream\n" +
  "unavailable, 4 not found, 5 conflict or limit, 6 timed out, 7 listen --exec\n" +
  "gave up an event, 8/9 consumer check warning/critical, 130/143 stopped by\n" +
  "SIGINT/SIGTERM.\n";

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * A leaf's global options: the program's options of which the leaf carries a hidden
 * copy (so they work after the subcommand), shown with their env and default. A leaf
 * option of the same name with its own meaning (listen --timeout) is visible, so the
 * global one is not listed there. Options hidden on the program (natscli's spellings,
 * `--tlscert`, which the visible `--tls-cert` names) are not listed either. Groups list
 * none: the program's help has them.
 */
function leafGlobalOptions(cmd: Command): Option[] {
  if (cmd.commands.length > 0 || !cmd.parent) return [];
  const copies = new Set(cmd.options.filter((o) => o.hidden).map((o) => o.long));
  return rootOf(cmd).options.filter(
    (o) => !o.hidden && o.long !== "--version" && copies.has(o.long),
  );
}

/**
 * A top-level command as the program's help lists it, without its options or
 * subcommands (see buildProgram): it is never run, only listed.
 */
export class StandInCommand extends Command {
  constructor(
    name: string,
    readonly term: string,
    summary: string,
    readonly hiddenStandIn: boolean,
  ) {
    super(name);
    this.description(summary);
  }
}

export const HELP_CONFIG: HelpConfiguration = {
  sortSubcommands: false,
  // commander leaves a description unwrapped when fewer than 40 columns remain beside the
  // terms; natscli's aliases (`edit|update [options] [stream] [name]`) leave 38 at 80 columns
  minWidthToWrap: 30,
  subcommandTerm(this: Help, cmd: Command): string {
    return cmd instanceof StandInCommand ? cmd.term : Help.prototype.subcommandTerm.call(this, cmd);
  },
  showGlobalOptions: true,
  visibleGlobalOptions: leafGlobalOptions,
};

/** `tweetstream help --help` (or -h) is a request for the program's help, exit 0. */
export function normalizeHelpArgs(args: string[]): string[] {
  const i = args.indexOf("help");
  if (i >= 0 && (args[i + 1] === "--help" || args[i + 1] === "-h") && args.length === i + 2) {
    return [...args.slice(0, i), "--help"];
  }
  return args;
}
