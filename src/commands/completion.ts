// `tweetstream completion bash|zsh|fish` prints the shell's completion script; the
// hidden `tweetstream __complete -- WORDS…` is what those scripts call for candidates.

import { Argument, Command } from "commander";
import { usageError } from "../errors.js";
import { examples } from "./help.js";

export const completionCommand = new Command("completion")
  .description("print the shell completion script (bash, zsh or fish)")
  .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
  .addHelpText(
    "after",
    examples(
      "source <(tweetstream completion bash)     # in ~/.bashrc",
      'tweetstream completion zsh > "${fpath[1]}/_tweetstream"',
      "tweetstream completion fish > ~/.config/fish/completions/tweetstream.fish",
    ),
  )
  .action(async (shell: string) => {
    const { COMPLETION_SCRIPTS, SHELLS } = await import("../completion/scripts.js");
    const known = SHELLS.find((s) => s === shell);
    if (!known) throw usageError(`unknown shell "${shell}": bash, zsh or fish`);
    process.stdout.write(COMPLETION_SCRIPTS[known]);
  });

export const completeCommand = new Command("__complete")
  .description("candidates for the shell completion scripts")
  .argument("[words...]", "the words typed after tweetstream; the last is being completed")
  .option("--shell <shell>", "the shell asking: bash gets quoted names, fish unquotes words")
  .helpOption(false)
  .allowUnknownOption()
  .action(async (words: string[], opts: { shell?: string }, cmd: Command) => {
    const { completeWords } = await import("../completion/candidates.js");
    // the whole tree: program.ts loads every command when this one runs
    const program = cmd.parent!;
    const candidates = await completeWords(program, words.length > 0 ? words : [""], {
      shell: opts.shell,
    });
    if (candidates.length > 0) process.stdout.write(candidates.join("\n") + "\n");
  });
