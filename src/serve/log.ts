// serve's log lines on stderr, in the format --log-format chose: `text` (people: the access
// line `<ISO time> <method> <path> <status> <ms>ms`, warnings as every command prints them)
// or `json` (one object a line for a log collector: access lines and warnings alike).
// Untrusted text (a request's path, a stream's name) is escaped in text and JSON-encoded
// in JSON, with the characters a terminal would act on written as \u escapes; secrets are
// removed from warnings by the one redaction (src/redact.ts).

import type { Output } from "../output/output.js";
import { safeText } from "../output/safe-text.js";
import { redact } from "../redact.js";

export type LogFormat = "text" | "json";

/** One answered request (status 0: the client went away before the answer). */
export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  ms: number;
}

// what JSON.stringify leaves as is but a terminal tailing the log would act on: DEL, C1
// controls, line/paragraph separators, bidi overrides and isolates
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `value` as one JSON line, safe on a terminal; decoding it gives `value` back exactly. */
export function jsonLine(value: Record<string, unknown>): string {
  return (
    JSON.stringify(value).replace(
      JSON_UNSAFE,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ) + "\n"
  );
}

/** The access line of --log-format text. */
export function accessText(r: AccessRecord, time: Date): string {
  return `${time.toISOString()} ${safeText(redact(`${r.method} ${r.path}`))} ${r.status} ${r.ms.toFixed(1)}ms`;
}

export interface ServeLog {
  readonly format: LogFormat;
  access(r: AccessRecord): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export function createServeLog(
  format: LogFormat,
  out: Pick<Output, "warn" | "quiet">,
  write: (line: string) => void = (line) => void process.stderr.write(line),
  now: () => Date = () => new Date(),
): ServeLog {
  if (format === "text")
    return {
      format,
      access: (r) => write(accessText(r, now()) + "\n"),
      warn: (message) => out.warn(message),
    };
  return {
    format,
    access: (r) =>
      write(
        jsonLine({
          time: now().toISOString(),
          level: "info",
          msg: "request",
          method: r.method,
          path: redact(r.path),
          status: r.status,
          ms: Math.round(r.ms * 10) / 10,
        }),
      ),
    // dropped under --quiet, as every warning is
    warn: (message, fields) =>
      out.quiet ||
      write(
        jsonLine({
          time: now().toISOString(),
          level: "warn",
          message: redact(message),
          // `context`: the documented key (docs/serve.md) for a warning's fields
          ...(fields ? { context: redactValues(fields) } : {}),
        }),
      ),
  };
}

function redactValues(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = typeof v === "string" ? redact(v) : v;
  return out;
}

/** `out` whose warnings go through `log`: one hook for serve. */
export function withServeLog(out: Output, log: ServeLog): Output {
  if (log.format === "text") return out;
  return {
    ...out,
    // a machine reads stderr: no spinner drawn between the lines
    spinners: false,
    warn: (text) => log.warn(text),
  };
}
