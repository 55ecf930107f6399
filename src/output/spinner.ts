// The one spinner factory: ora is loaded only when a spinner is really shown
// (a person at a terminal, no --json / --quiet / CI); otherwise a silent stand-in.

import { fitLines } from "./format.js";
import type { Output } from "./output.js";

export interface Spinner {
  text(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
  /**
   * A line on stderr above the spinner (the spinner is redrawn below it), wrapped between
   * words on a terminal.
   */
  log(line: string): void;
}

export async function startSpinner(out: Output, text: string): Promise<Spinner> {
  const fit = (line: string) => fitLines(line, out.errWidth) + "\n";
  if (!out.spinners) {
    return {
      text() {},
      succeed() {},
      fail() {},
      stop() {},
      log: (line) => void process.stderr.write(fit(line)),
    };
  }
  const { default: ora } = await import("ora");
  const spinner = ora({ text, stream: process.stderr, discardStdin: false }).start();
  return {
    text: (t) => {
      spinner.text = t;
    },
    succeed: (t) => void spinner.succeed(t),
    fail: (t) => void spinner.fail(t),
    stop: () => void spinner.stop(),
    log: (line) => {
      spinner.clear();
      process.stderr.write(fit(line));
      spinner.render();
    },
  };
}
