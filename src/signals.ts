// Ctrl-C and SIGTERM for commands that stop cleanly (listen, publish, tweet --count):
// the first signal asks the command to stop; a second one, with no handler left, ends
// the process at once. Exit codes follow the shell's 128 + signal.

import { ExitCode } from "./errors.js";

export type StopSignal = "SIGINT" | "SIGTERM";

/** Calls `onStop` on the first SIGINT or SIGTERM; returns the function that stops listening. */
export function onStopSignal(onStop: (signal: StopSignal) => void): () => void {
  const sigint = () => onStop("SIGINT");
  const sigterm = () => onStop("SIGTERM");
  process.once("SIGINT", sigint);
  process.once("SIGTERM", sigterm);
  return () => {
    process.off("SIGINT", sigint);
    process.off("SIGTERM", sigterm);
  };
}

/** 130 for SIGINT, 143 for SIGTERM. */
export function exitCodeForSignal(signal: StopSignal): ExitCode {
  return signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated;
}
