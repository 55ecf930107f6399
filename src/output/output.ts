// Where output goes and how it looks, decided once per process: results on stdout,
// everything else on stderr; colour and spinners only for a person at a terminal
// (TTY, no --json, no --quiet, no CI, NO_COLOR / FORCE_COLOR / --no-color honoured).

import type { ChalkInstance } from "chalk";
import { redact } from "../redact.js";
import { fitLines } from "./format.js";
import { safeText } from "./safe-text.js";
import { guardStdio, isStdoutClosed } from "./stdout.js";

export { isStdoutClosed, onStdoutClosed } from "./stdout.js";

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  /** false when --no-color was given */
  color?: boolean;
}

export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  /** stdout is a terminal (a person reads the results) */
  readonly interactive: boolean;
  /** columns of the terminal on stdout; undefined when stdout is not one (no fitting) */
  readonly width: number | undefined;
  /** columns of the terminal on stderr, likewise */
  readonly errWidth: number | undefined;
  /** chalk for stdout (level 0 when colour is off) */
  readonly color: ChalkInstance;
  /** chalk for stderr */
  readonly errColor: ChalkInstance;
  readonly spinners: boolean;
  /** A result line (or block) on stdout. Awaits when stdout is full. */
  result(text: string): Promise<void>;
  /** One JSON document on stdout. */
  printJson(value: unknown): Promise<void>;
  /** One NDJSON line on stdout. */
  printNdjson(value: unknown): Promise<void>;
  /**
   * Text on stdout, resolving true once the OS has taken it and false when it could not
   * be written (stdout closed): for callers that acknowledge only what was written out.
   */
  writeConfirmed(text: string | Uint8Array): Promise<boolean>;
  /** Progress or a note for people, on stderr; silent with --quiet or --json. */
  info(text: string): void;
  /** A warning on stderr (kept under --json, dropped under --quiet). */
  warn(text: string): void;
  /** An error line on stderr, always shown. */
  error(text: string): void;
}

function envFlag(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined ? undefined : v;
}

/** Colour level for a stream: 0 (none) to 3 (truecolor). */
export function colorLevel(isTTY: boolean, opts: OutputOptions): 0 | 1 | 2 | 3 {
  if (opts.json || opts.color === false) return 0;
  const noColor = envFlag("NO_COLOR");
  if (noColor !== undefined && noColor !== "") return 0;
  const force = envFlag("FORCE_COLOR");
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    if (force === "2") return 2;
    if (force === "3") return 3;
    return 1;
  }
  if (!isTTY || process.env.TERM === "dumb") return 0;
  const colorterm = process.env.COLORTERM ?? "";
  if (colorterm === "truecolor" || colorterm === "24bit") return 3;
  if (/-256(color)?$/i.test(process.env.TERM ?? "")) return 2;
  return 1;
}

export function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (isStdoutClosed() && stream === process.stdout) return Promise.resolve();
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.once("drain", done);
    stream.once("close", done);
  });
}

function writeConfirmed(text: string | Uint8Array): Promise<boolean> {
  if (isStdoutClosed()) return Promise.resolve(false);
  return new Promise((resolve) => {
    // the callback runs after the data was handed to the OS (or failed, e.g. EPIPE);
    // a full pipe delays it, which is the backpressure
    process.stdout.write(text, (err) => resolve(!err && !isStdoutClosed()));
  });
}

/**
 * chalk is loaded only when colour is possible at all (a terminal on stdout or stderr, or
 * FORCE_COLOR): scripts and pipes, where every command must start fast, never pay for it.
 */
const colourPossible =
  Boolean(process.stdout.isTTY || process.stderr.isTTY) ||
  !["", "0", "false", undefined].includes(process.env.FORCE_COLOR);
const chalkModule = colourPossible ? await import("chalk") : undefined;

/** Level-0 styling without chalk: every style, however chained, returns the text unchanged. */
const plain: ChalkInstance = new Proxy((...texts: unknown[]) => texts.join(" "), {
  get: (_target, prop) => (prop === "level" ? 0 : plain),
}) as unknown as ChalkInstance;

function palette(level: 0 | 1 | 2 | 3): ChalkInstance {
  return level === 0 || !chalkModule ? plain : new chalkModule.Chalk({ level });
}

const safeNote = (text: string) => safeText(redact(text), { keepNewlines: true });

export function createOutput(opts: OutputOptions = {}): Output {
  guardStdio();
  const json = Boolean(opts.json);
  const quiet = Boolean(opts.quiet);
  const stdoutTTY = Boolean(process.stdout.isTTY);
  const stderrTTY = Boolean(process.stderr.isTTY);
  const color = palette(colorLevel(stdoutTTY, opts));
  const errColor = palette(colorLevel(stderrTTY, opts));
  const errWidth = stderrTTY ? process.stderr.columns || undefined : undefined;
  return {
    json,
    quiet,
    interactive: stdoutTTY,
    width: stdoutTTY ? process.stdout.columns || undefined : undefined,
    errWidth,
    color,
    errColor,
    spinners: stderrTTY && !json && !quiet && !isCI(),
    result: (text) => write(process.stdout, text.endsWith("\n") ? text : text + "\n"),
    printJson: (value) => write(process.stdout, JSON.stringify(value, null, 2) + "\n"),
    printNdjson: (value) => write(process.stdout, JSON.stringify(value) + "\n"),
    writeConfirmed,
    // notes on stderr are plain text that may quote the stream or argv: made safe here
    info(text) {
      if (!quiet && !json) process.stderr.write(fitLines(safeNote(text), errWidth) + "\n");
    },
    warn(text) {
      if (!quiet) {
        process.stderr.write(
          fitLines(errColor.yellow("warning: ") + safeNote(text), errWidth) + "\n",
        );
      }
    },
    error(text) {
      process.stderr.write(fitLines(errColor.red("error: ") + safeNote(text), errWidth) + "\n");
    },
  };
}
