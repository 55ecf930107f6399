// Errors under --json: one JSON object on stderr, {"error":{"message","exit","err_code"}}
// (err_code only when JetStream gave one), instead of the `error: …` line, so a script
// can branch on it. Decided from argv before commander parses it, since a usage error
// can come before any option is read.

import { redact } from "../redact.js";

/** Whether argv (without node and the script) asks for --json before any `--`. */
export function wantsJson(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
}

export interface JsonError {
  error: { message: string; exit: number; err_code?: number };
}

/** The error object; the message is redacted (JSON.stringify escapes control characters). */
export function jsonError(message: string, exit: number, errCode?: number): string {
  const body: JsonError = { error: { message: redact(message), exit } };
  if (errCode !== undefined) body.error.err_code = errCode;
  return JSON.stringify(body) + "\n";
}
