// natscli contexts, read-only: the JSON files `nats context add` writes under
// $XDG_CONFIG_HOME/nats/context/<name>.json (default ~/.config/nats/context/), and the
// selected one named in nats/context.txt. Field names are natscli's (natscontext);
// tweetstream uses the connection fields listed in ContextSettings and ignores the rest.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { usageError } from "../errors.js";
import { redactServers, registerSecret } from "../redact.js";

/** The fields of a natscli context that tweetstream uses (natscli's JSON names). */
export interface ContextSettings {
  description?: string;
  url?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  cert?: string;
  key?: string;
  ca?: string;
  tls_first?: boolean;
  jetstream_domain?: string;
  inbox_prefix?: string;
}

export interface NatsContext {
  name: string;
  path: string;
  settings: ContextSettings;
}

const STRING_FIELDS = [
  "description",
  "url",
  "user",
  "password",
  "token",
  "creds",
  "nkey",
  "cert",
  "key",
  "ca",
  "jetstream_domain",
  "inbox_prefix",
] as const;

/** Fields holding secrets themselves (not paths to them): never printed. */
export const SECRET_FIELDS = ["password", "token"] as const;

/** Fields holding file paths, where natscli expands a leading `~`. */
const PATH_FIELDS = ["creds", "nkey", "cert", "key", "ca"] as const;

/** $XDG_CONFIG_HOME/nats, else ~/.config/nats (as natscontext finds it). */
export function natsConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg ? xdg : join(homedir(), ".config"), "nats");
}

export function contextDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(natsConfigDir(env), "context");
}

/** natscontext's rule: not empty, no `..`, no path separator. */
function validName(name: string): boolean {
  return name !== "" && !name.includes("..") && !name.includes("/") && !name.includes("\\");
}

/** Names of the stored contexts, sorted (non-empty `*.json` files, as natscli lists them). */
export function listContextNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = contextDir(env);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith(".json"))
    .filter((f) => {
      try {
        const st = statSync(join(dir, f));
        return st.isFile() && st.size > 0;
      } catch {
        return false;
      }
    })
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

/** The context named in nats/context.txt, or undefined when none is selected. */
export function selectedContextName(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    const name = readFileSync(join(natsConfigDir(env), "context.txt"), "utf8").trim();
    return name || undefined;
  } catch {
    return undefined;
  }
}

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

function unknownContext(name: string, env: NodeJS.ProcessEnv): Error {
  const known = listContextNames(env);
  const which =
    known.length > 0
      ? `known contexts: ${known.join(", ")}`
      : `no contexts in ${contextDir(env)} (create one with: nats context add)`;
  return usageError(`unknown context "${name}"; ${which}`);
}

/** Only the fields tweetstream uses, with the types natscli gives them. */
function pickSettings(raw: Record<string, unknown>, path: string): ContextSettings {
  const settings: ContextSettings = {};
  for (const field of STRING_FIELDS) {
    const v = raw[field];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string") throw usageError(`context ${path}: "${field}" is not a string`);
    settings[field] = v;
  }
  for (const field of SECRET_FIELDS) registerSecret(settings[field]);
  for (const field of PATH_FIELDS) {
    if (settings[field]) settings[field] = expandHome(settings[field]);
  }
  if (raw.tls_first !== undefined && raw.tls_first !== null) {
    if (typeof raw.tls_first !== "boolean")
      throw usageError(`context ${path}: "tls_first" is not true or false`);
    settings.tls_first = raw.tls_first;
  }
  return settings;
}

/**
 * Loads a context by name (or, as natscli accepts, by the absolute path of its file).
 * An unknown name is a usage error (exit 2) naming the contexts that exist.
 */
export function loadContext(name: string, env: NodeJS.ProcessEnv = process.env): NatsContext {
  let path: string;
  if (isAbsolute(name) && name.endsWith(".json")) path = name;
  else if (validName(name)) path = join(contextDir(env), `${name}.json`);
  else throw usageError(`invalid context name "${name}"`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw unknownContext(name, env);
    throw usageError(`cannot read context ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw usageError(`context ${path} is not valid JSON`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw usageError(`context ${path} is not a JSON object`);
  }
  return { name, path, settings: pickSettings(raw as Record<string, unknown>, path) };
}

/** A context as tweetstream shows it: secrets replaced by ***, URLs without credentials. */
export interface ContextView extends ContextSettings {
  name: string;
  path: string;
  selected: boolean;
  /** why the file could not be used (`context ls` lists broken files too) */
  error?: string;
}

export function describeContext(ctx: NatsContext, env = process.env): ContextView {
  const settings: ContextSettings = { ...ctx.settings };
  for (const field of SECRET_FIELDS) if (settings[field]) settings[field] = "***";
  if (settings.url) settings.url = redactServers(settings.url);
  return {
    name: ctx.name,
    path: ctx.path,
    selected: ctx.name === selectedContextName(env),
    ...settings,
  };
}

/** Every stored context, described; a file that cannot be read is listed with its error. */
export function describeAllContexts(env = process.env): ContextView[] {
  return listContextNames(env).map((name) => {
    try {
      return describeContext(loadContext(name, env), env);
    } catch (err) {
      return {
        name,
        path: join(contextDir(env), `${name}.json`),
        selected: name === selectedContextName(env),
        error: (err as Error).message,
      };
    }
  });
}
