// natscli contexts: the JSON files `nats context add` writes under
// $XDG_CONFIG_HOME/nats/context/<name>.json (default ~/.config/nats/context/), and the
// selected one named in nats/context.txt. Field names are natscli's (natscontext);
// tweetstream uses the connection fields listed in ContextSettings and keeps the rest
// untouched when it writes a context (context-store.ts).

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
import { usageError } from "../errors.js";
import { redactServers, registerSecret } from "../redact.js";
import { CREDENTIAL_FIELDS, credentialFile, expandPath, schemeOf } from "./credentials.js";

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
  user_jwt?: string;
  user_seed?: string;
  tls_first?: boolean;
  jetstream_domain?: string;
  jetstream_api_prefix?: string;
  jetstream_event_prefix?: string;
  inbox_prefix?: string;
  /** natscli's deprecated nsc lookup (an nsc:// reference): refused when connecting */
  nsc?: string;
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
  "user_jwt",
  "user_seed",
  "jetstream_domain",
  "jetstream_api_prefix",
  "jetstream_event_prefix",
  "inbox_prefix",
  "nsc",
] as const;

/** Fields holding secrets themselves (when not a reference to them): never printed. */
export const SECRET_FIELDS = ["password", "token", "user_jwt", "user_seed"] as const;

/** Fields holding file paths, where natscli expands `~` and `$VAR`. */
const PATH_FIELDS = ["creds", "nkey", "cert", "key", "ca"] as const;

/** Fields that may name a file: what `context ls` checks for missing files. */
const FILE_FIELDS = [
  "creds",
  "nkey",
  "cert",
  "key",
  "ca",
  "password",
  "token",
  "user_jwt",
  "user_seed",
] as const;

/** natscli's variables that replace a context's settings (cli.go overrideEnvVars, and ours). */
const OVERRIDE_VARS = [
  "NATS_URL",
  "NATS_USER",
  "NATS_PASSWORD",
  "NATS_TOKEN",
  "NATS_CREDS",
  "NATS_NKEY",
  "NATS_JWT",
  "NATS_SEED",
  "NATS_CERT",
  "NATS_KEY",
  "NATS_CA",
  "NATS_TIMEOUT",
];

/** The NATS_* variables set (non-empty) that override what a context says. */
export function overridingVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  return OVERRIDE_VARS.filter((v) => env[v]);
}

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

export function unknownContext(name: string, env: NodeJS.ProcessEnv = process.env): Error {
  const known = listContextNames(env);
  const which =
    known.length > 0
      ? `known contexts: ${known.join(", ")}`
      : `no contexts in ${contextDir(env)} (create one with: tweetstream context add NAME)`;
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
  for (const field of SECRET_FIELDS)
    if (schemeOf(settings[field] ?? "") === "") registerSecret(settings[field]);
  for (const field of PATH_FIELDS) {
    if (settings[field]) settings[field] = expandPath(settings[field]);
  }
  if (raw.tls_first !== undefined && raw.tls_first !== null) {
    if (typeof raw.tls_first !== "boolean")
      throw usageError(`context ${path}: "tls_first" is not true or false`);
    settings.tls_first = raw.tls_first;
  }
  return settings;
}

/** Whether a stored context of that name exists. */
export function contextExists(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return validName(name) && existsSync(join(contextDir(env), `${name}.json`));
}

/** natscontext's rule for a context name, as a usage error. */
export function checkContextName(name: string): void {
  if (!validName(name)) throw usageError(`invalid context name "${name}" (no "/", "\\" or "..")`);
}

/** The path of the stored context `name`. */
export function contextPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  checkContextName(name);
  return join(contextDir(env), `${name}.json`);
}

/**
 * Loads a context by name or, as natscli accepts, by the path of its file (absolute, or
 * relative to the working directory, ending in .json). An unknown name is a usage error
 * (exit 2) naming the contexts that exist.
 */
export function loadContext(name: string, env: NodeJS.ProcessEnv = process.env): NatsContext {
  let path: string;
  if (name.endsWith(".json") && (isAbsolute(name) || existsSync(name))) {
    path = resolve(name);
    name = basename(name, ".json");
  } else if (validName(name)) path = join(contextDir(env), `${name}.json`);
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
export interface ContextDescription extends ContextSettings {
  name: string;
  path: string;
  selected: boolean;
  /** fields naming a file that does not exist (natscli's "ERROR" in context info) */
  missing_files?: string[];
  /** why the file could not be used (`context ls` lists broken files too) */
  error?: string;
}

/** How a credential value is shown: a reference as written, embedded data or a secret not. */
function showCredential(field: keyof ContextSettings, value: string): string {
  const scheme = schemeOf(value);
  if (scheme === "data") return "embedded data";
  if (scheme !== "" || !(SECRET_FIELDS as readonly string[]).includes(field)) return value;
  return "***";
}

/** The fields whose file (a path, or file://) does not exist. */
function missingFiles(settings: ContextSettings): string[] {
  return FILE_FIELDS.filter((field) => {
    const value = settings[field];
    if (!value) return false;
    const kind =
      field in CREDENTIAL_FIELDS
        ? CREDENTIAL_FIELDS[field as keyof typeof CREDENTIAL_FIELDS]
        : "path";
    const file = credentialFile(value, kind);
    return file !== undefined && !existsSync(file);
  });
}

export function describeContext(ctx: NatsContext, env = process.env): ContextDescription {
  const settings: ContextSettings = { ...ctx.settings };
  for (const field of Object.keys(CREDENTIAL_FIELDS) as (keyof typeof CREDENTIAL_FIELDS)[]) {
    const value = settings[field];
    if (value) settings[field] = showCredential(field, value);
  }
  if (settings.url) settings.url = redactServers(settings.url);
  const missing = missingFiles(ctx.settings);
  return {
    name: ctx.name,
    path: ctx.path,
    selected: ctx.name === selectedContextName(env),
    ...settings,
    ...(missing.length > 0 ? { missing_files: missing } : {}),
  };
}

/** Every stored context, described; a file that cannot be read is listed with its error. */
export function describeAllContexts(env = process.env): ContextDescription[] {
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
