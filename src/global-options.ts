// The global options, defined once. They are declared on the program (with their
// environment fallbacks and defaults) and copied, hidden, onto every leaf command so
// they work after the subcommand too (`tweetstream stream ls --json`), the way the
// nats CLI's flags do. readGlobals() merges them and applies the natscli context:
// a flag (before or after the subcommand) wins, then its environment variable, then
// the selected context (--context, NATS_CONTEXT, nats/context.txt), then the default.

import { Command, Option } from "commander";
import {
  contextExists,
  loadContext,
  selectedContextName,
  type NatsContext,
} from "./config/nats-context.js";
import {
  DEFAULT_SERVER,
  parseServers,
  type AuthSettings,
  type ConnectSettings,
} from "./nats/connection.js";
import { parseDuration, validateStreamName } from "./parse.js";
import { splitServerEntry } from "./redact.js";
import { CREDENTIAL_FLAGS, type CredentialKey } from "./config/credentials.js";

export const DEFAULT_STREAM = "TWITTERCLONE";

export interface GlobalOptions extends AuthSettings {
  server: string;
  timeout: string;
  stream: string;
  json: boolean;
  color: boolean;
  quiet: boolean;
  /** the natscli context name given by --context / NATS_CONTEXT; false: --no-context */
  context?: string | false;
  tlsfirst?: boolean;
  jsDomain?: string;
  jsApiPrefix?: string;
  jsEventPrefix?: string;
  inboxPrefix?: string;
  connectionName?: string;
  trace?: boolean;
  /** the context applied (from --context, NATS_CONTEXT or nats/context.txt), if any */
  natsContext?: NatsContext;
  /** where each credential in force came from, for errors (`context "prod" field creds`) */
  origins: Partial<Record<CredentialKey, string>>;
  /** one-line notices about the context (printed on stderr by invocationOf) */
  notices: string[];
  /** the global options given on the command line (not by a variable or default) */
  flagsGiven: GlobalKey[];
}

type GlobalKey = keyof GlobalOptions;

/** natscli's spellings, accepted as hidden aliases: alias attribute → option attribute. */
const ALIASES: Array<[alias: string, key: GlobalKey]> = [
  ["tlscert", "tlsCert"],
  ["tlskey", "tlsKey"],
  ["tlsca", "tlsCa"],
];

/** Context field → global option, for the options a context may supply. */
const CONTEXT_FIELDS: Array<[field: keyof NatsContext["settings"], key: GlobalKey]> = [
  ["url", "server"],
  ["user", "user"],
  ["password", "password"],
  ["token", "token"],
  ["creds", "creds"],
  ["nkey", "nkey"],
  ["cert", "tlsCert"],
  ["key", "tlsKey"],
  ["ca", "tlsCa"],
  ["user_jwt", "jwt"],
  ["user_seed", "seed"],
  ["tls_first", "tlsfirst"],
  ["jetstream_domain", "jsDomain"],
  ["jetstream_api_prefix", "jsApiPrefix"],
  ["jetstream_event_prefix", "jsEventPrefix"],
  ["inbox_prefix", "inboxPrefix"],
];

/** One way of authenticating: a flag or variable for any of them replaces the context's. */
const AUTH_KEYS: GlobalKey[] = ["user", "password", "token", "creds", "nkey", "jwt", "seed"];

function globalOptionList(withDefaults: boolean): Option[] {
  const o = (flags: string, description: string, env?: string, def?: string) => {
    const opt = new Option(flags, description);
    if (withDefaults && env) opt.env(env);
    if (withDefaults && def !== undefined) opt.default(def);
    return opt;
  };
  return [
    o("-s, --server <urls>", "NATS server URLs, comma-separated", "NATS_URL", DEFAULT_SERVER),
    o("--context <name>", "natscli context to connect with (nats context ls)", "NATS_CONTEXT"),
    o("--no-context", "ignore the selected context and NATS_CONTEXT"),
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
    o("--jwt <jwt>", "user JWT, signed with --seed", "NATS_JWT"),
    o("--seed <seed>", "user NKey seed for --jwt", "NATS_SEED"),
    o("--tls-cert <file>", "TLS client certificate (also --tlscert)", "NATS_CERT"),
    o("--tls-key <file>", "TLS client key (also --tlskey)", "NATS_KEY"),
    o("--tls-ca <file>", "TLS certificate authority (also --tlsca)", "NATS_CA"),
    o("--tlscert <file>", "TLS client certificate").hideHelp(),
    o("--tlskey <file>", "TLS client key").hideHelp(),
    o("--tlsca <file>", "TLS certificate authority").hideHelp(),
    o("--tlsfirst", "TLS handshake before the server's greeting (server's handshake_first)"),
    o("--js-domain <domain>", "JetStream domain"),
    o("--js-api-prefix <prefix>", "JetStream API prefix (an imported API)"),
    o("--inbox-prefix <prefix>", "prefix of reply subjects (inboxes)"),
    o("--connection-name <name>", "name of the connection, as the server shows it"),
    o("--trace", "print each JetStream API request and reply on stderr"),
    o("--stream <name>", "stream to work on", "TWEETSTREAM_STREAM", DEFAULT_STREAM),
    o("-j, --json", "machine-readable output on stdout (JSON; NDJSON for streams of results)"),
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

/** Whether a value was given by a flag or an environment variable (not a default). */
type Given = (key: GlobalKey) => boolean;

function applyContext(
  merged: Record<string, unknown>,
  given: Given,
  ctx: NatsContext,
  origins: GlobalOptions["origins"],
): void {
  // credentials written into a --server / NATS_URL URL count as given credentials too
  const urlAuth =
    given("server") &&
    String(merged.server)
      .split(",")
      .some((entry) => splitServerEntry(entry.trim()).userinfo !== undefined);
  const authGiven = urlAuth || AUTH_KEYS.some(given);
  for (const [field, key] of CONTEXT_FIELDS) {
    const value = ctx.settings[field];
    if (value === undefined || given(key)) continue;
    if (authGiven && AUTH_KEYS.includes(key)) continue;
    merged[key] = value;
    if (key in CREDENTIAL_FLAGS)
      origins[key as CredentialKey] = `context "${ctx.name}" field ${field}`;
  }
  // natscli's deprecated nsc lookup is credentials too: refused, never ignored
  if (ctx.settings.nsc && !authGiven) {
    merged.creds = `nsc://${ctx.settings.nsc.replace(/^nsc:\/\//i, "")}`;
    origins.creds = `context "${ctx.name}" field nsc`;
  }
}

/**
 * The context in force: --context (a name or a .json file), else a non-empty NATS_CONTEXT,
 * else the one selected in nats/context.txt; none under --no-context. A selected context
 * that no longer exists is a notice and is ignored (natscli unselects it).
 */
function contextInForce(globals: GlobalOptions): NatsContext | undefined {
  if (globals.context === false) return undefined;
  if (globals.context) return loadContext(globals.context);
  const selected = selectedContextName();
  if (selected === undefined) return undefined;
  if (!contextExists(selected)) {
    globals.notices.push(
      `the selected context "${selected}" no longer exists; ignored (tweetstream context unselect)`,
    );
    return undefined;
  }
  return loadContext(selected);
}

export interface ReadGlobalsOptions {
  /** leaf options that are not the global ones of the same name */
  except?: string[];
  /** apply the natscli context (default true; `context ls|info` read contexts themselves) */
  useContext?: boolean;
}

/** The global options in force for `cmd`, merged as described above. */
export function readGlobals(cmd: Command, opts: ReadGlobalsOptions | string[] = {}): GlobalOptions {
  const options = Array.isArray(opts) ? { except: opts } : opts;
  const except = options.except ?? [];
  const root = rootOf(cmd);
  const merged: Record<string, unknown> = { ...root.opts() };
  const fromCli = new Set<string>();
  const leaf = cmd.opts();
  for (const opt of globalOptionList(false)) {
    const key = opt.attributeName();
    if (except.includes(key)) continue;
    if (cmd !== root && cmd.getOptionValueSource(key) === "cli") {
      merged[key] = leaf[key];
      fromCli.add(key);
    } else if (root.getOptionValueSource(key) === "cli") fromCli.add(key);
  }
  for (const [alias, key] of ALIASES) {
    if (merged[alias] !== undefined && !fromCli.has(key)) {
      merged[key] = merged[alias];
      fromCli.add(key);
    }
    delete merged[alias];
  }
  const given: Given = (key) => fromCli.has(key) || root.getOptionValueSource(key) === "env";
  const globals = merged as unknown as GlobalOptions;
  globals.notices = [];
  globals.origins = {};
  globals.flagsGiven = [...fromCli] as GlobalKey[];
  // an empty NATS_CONTEXT (or --context "") names no context
  if (globals.context === "") delete globals.context;
  if (options.useContext !== false) {
    globals.natsContext = contextInForce(globals);
    if (globals.natsContext) applyContext(merged, given, globals.natsContext, globals.origins);
  }
  validateStreamName(globals.stream);
  parseDuration(globals.timeout, "--timeout");
  return globals;
}

/**
 * The context fields the command line sets (`context add|edit`): each connection flag given
 * (--server → url, --creds → creds, --tlsfirst → tls_first …), as natscli's names.
 */
export function contextFieldsFromFlags(globals: GlobalOptions): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [field, key] of CONTEXT_FIELDS)
    if (globals.flagsGiven.includes(key)) fields[field] = globals[key];
  return fields;
}

/** What the connection needs, from the merged options. */
export function connectSettings(globals: GlobalOptions): ConnectSettings {
  return {
    servers: parseServers(globals.server),
    timeoutMs: Math.max(parseDuration(globals.timeout, "--timeout"), 1),
    user: globals.user,
    password: globals.password,
    token: globals.token,
    creds: globals.creds,
    nkey: globals.nkey,
    jwt: globals.jwt,
    seed: globals.seed,
    origins: globals.origins,
    tlsCert: globals.tlsCert,
    tlsKey: globals.tlsKey,
    tlsCa: globals.tlsCa,
    tlsFirst: globals.tlsfirst,
    jsDomain: globals.jsDomain,
    jsApiPrefix: globals.jsApiPrefix,
    inboxPrefix: globals.inboxPrefix,
    connectionName: globals.connectionName,
    trace: globals.trace,
  };
}
