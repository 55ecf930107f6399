// The global options, defined once. They are declared on the program (with their
// environment fallbacks and defaults) and copied, hidden, onto every leaf command so
// they work after the subcommand too (`tweetstream stream ls --json`), the way the
// nats CLI's flags do. readGlobals() merges the two: a value typed after the
// subcommand wins, else the program's (typed before it, from the environment, or default).

import { Command, Option } from "commander";
import { DEFAULT_SERVER, type AuthSettings } from "./nats/connection.js";
import { parseDuration, validateStreamName } from "./parse.js";

export const DEFAULT_STREAM = "TWITTERCLONE";

export interface GlobalOptions extends AuthSettings {
  server: string;
  timeout: string;
  stream: string;
  json: boolean;
  color: boolean;
  quiet: boolean;
}

type GlobalKey = keyof GlobalOptions;

function globalOptionList(withDefaults: boolean): Option[] {
  const o = (flags: string, description: string, env?: string, def?: string) => {
    const opt = new Option(flags, description);
    if (withDefaults && env) opt.env(env);
    if (withDefaults && def !== undefined) opt.default(def);
    return opt;
  };
  return [
    o("-s, --server <urls>", "NATS server URLs, comma-separated", "NATS_URL", DEFAULT_SERVER),
    o(
      "--timeout <duration>",
      "connect and JetStream request timeout; transient failures are retried for 3x this",
      "NATS_TIMEOUT",
      "5s",
    ),
    o("--user <user>", "user name", "NATS_USER"),
    o("--password <password>", "password", "NATS_PASSWORD"),
    o("--token <token>", "authentication token", "NATS_TOKEN"),
    o("--creds <file>", "user credentials (JWT + seed) file", "NATS_CREDS"),
    o("--nkey <file>", "NKey seed file", "NATS_NKEY"),
    o("--tls-cert <file>", "TLS client certificate", "NATS_CERT"),
    o("--tls-key <file>", "TLS client key", "NATS_KEY"),
    o("--tls-ca <file>", "TLS certificate authority", "NATS_CA"),
    o("--stream <name>", "stream to work on", "TWEETSTREAM_STREAM", DEFAULT_STREAM),
    o("--json", "machine-readable output on stdout (JSON; NDJSON for streams of results)"),
    o("--no-color", "no colours (also NO_COLOR=1)"),
    o("-q, --quiet", "only results and errors; no progress or notes"),
  ];
}

/** Declares the global options on the program (shown in its help). */
export function addProgramOptions(program: Command): Command {
  for (const opt of globalOptionList(true)) program.addOption(opt);
  return program;
}

/**
 * Copies the global options, hidden, onto a leaf command. `except` leaves out
 * options the command defines with another meaning (listen's --timeout).
 */
export function addLeafOptions(cmd: Command, except: string[] = []): Command {
  for (const opt of globalOptionList(false)) {
    if (except.includes(opt.attributeName())) continue;
    cmd.addOption(opt.hideHelp());
  }
  return cmd;
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/** The global options in force for `cmd`, merged as described above. */
export function readGlobals(cmd: Command, except: string[] = []): GlobalOptions {
  const root = rootOf(cmd);
  const merged: Record<string, unknown> = { ...root.opts() };
  const leaf = cmd.opts();
  for (const opt of globalOptionList(false)) {
    const key = opt.attributeName() as GlobalKey;
    if (except.includes(key)) continue;
    if (cmd !== root && cmd.getOptionValueSource(key) === "cli") merged[key] = leaf[key];
  }
  const globals = merged as unknown as GlobalOptions;
  validateStreamName(globals.stream);
  parseDuration(globals.timeout, "--timeout");
  return globals;
}
