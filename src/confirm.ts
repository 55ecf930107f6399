// Confirmation for destructive commands: asks only when a person is at a terminal;
// without one it refuses unless --force was given (exit 2). Never waits on a pipe.
// Ctrl-C at the prompt cancels (nothing is changed, one plain line, exit 130); Ctrl-D
// (end of input) is "no".

import { createInterface } from "node:readline";
import { CliError, ExitCode, usageError } from "./errors.js";

type Answer = "yes" | "no" | "eof" | "interrupted";

function ask(question: string): Promise<Answer> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise<Answer>((resolve) => {
    let answered = false;
    const done = (answer: Answer) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(answer);
    };
    rl.on("SIGINT", () => done("interrupted")); // Ctrl-C (the terminal is in raw mode)
    rl.on("close", () => done("eof")); // Ctrl-D
    rl.question(`${question} [y/N] `, (text) => done(/^y(es)?$/i.test(text.trim()) ? "yes" : "no"));
  });
}

/** `action` names what would happen ("delete stream X"), `question` asks about it. */
export async function confirmOrRefuse(
  action: string,
  question: string,
  force: boolean | undefined,
): Promise<boolean> {
  if (force) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw usageError(`refusing to ${action} without a terminal to confirm; pass --force`);
  }
  const answer = await ask(question);
  if (answer === "interrupted") {
    process.stderr.write(`\nCancelled; did not ${action}\n`);
    throw new CliError(`cancelled`, ExitCode.Interrupted, { reported: true });
  }
  if (answer === "eof") process.stderr.write("\n"); // Ctrl-D left the cursor on the prompt
  return answer === "yes";
}
