// Confirmation for destructive commands: asks only when a person is at a terminal;
// without one it refuses unless --force was given (exit 2). Never waits on a pipe.

import { createInterface } from "node:readline/promises";
import { usageError } from "./errors.js";

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
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
