// The one place that connects to NATS. Connects lazily, once per process, and hands
// commands a JetStream client and manager; closeConnection() drains it on every exit
// path (cli.ts calls it). The nats client is imported here on first use only, so
// commands that need no server (and --help / --version) never load it.

import { constants } from "node:fs";
import { access } from "node:fs/promises";
import type { JetStreamClient, JetStreamManager, NatsConnection, ConnectionOptions } from "nats";
import { usageError } from "../errors.js";
import { CREDENTIAL_FLAGS, resolveCredential, type CredentialKey } from "../config/credentials.js";
import { redactServers, registerSecret, splitServerEntry } from "../redact.js";
import { toCliError } from "./errors.js";
import { jsApiOptions, openManager } from "./manager.js";
import { timingFor } from "./timing.js";
import { markLeft, onReconnect, reconnectOrder, type ReconnectOrder } from "./failover.js";
import { watchStaleServer } from "./stale.js";

export const DEFAULT_SERVER = "nats://127.0.0.1:4222";

/** Credentials and TLS files, as the global options name them. */
export interface AuthSettings {
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  /** user JWT and its seed (natscli --jwt / --seed, a context's user_jwt / user_seed) */
  jwt?: string;
  seed?: string;
  /** where a credential came from, for errors; default: its flag */
  origins?: Partial<Record<CredentialKey, string>>;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

export interface ConnectSettings extends AuthSettings {
  /** server URLs (a cluster may list several) */
  servers: string[];
  /** connection and JetStream API timeout, ms */
  timeoutMs: number;
  /** keep reconnecting forever after the first connection (listen, serve) */
  reconnectForever?: boolean;
  /** TLS handshake before the server's INFO (servers with handshake_first) */
  tlsFirst?: boolean;
  /** JetStream domain: API requests go to $JS.<domain>.API */
  jsDomain?: string;
  /** JetStream API prefix (an API imported from another account), default $JS.API */
  jsApiPrefix?: string;
  /** the connection's name as the server shows it (default tweetstream) */
  connectionName?: string;
  /** prefix of the client's reply subjects */
  inboxPrefix?: string;
  /** print JetStream API requests and replies on stderr */
  trace?: boolean;
}

export interface Connection {
  nc: NatsConnection;
  jsm(): Promise<JetStreamManager>;
  js(): JetStreamClient;
  settings: ConnectSettings;
}

/** "a,b" and repeated values → a clean list of URLs. */
export function parseServers(value: string | string[] | undefined): string[] {
  const raw = Array.isArray(value) ? value : [value ?? DEFAULT_SERVER];
  const list = raw
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  return list.length > 0 ? list : [DEFAULT_SERVER];
}

let pending: Promise<Connection> | undefined;
let current: Connection | undefined;

async function readableFile(path: string, flag: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw usageError(`cannot read the ${flag} file ${path} (${code})`);
  }
}

/**
 * `nats://user:pass@host` and `nats://token@host`, as the Go client and nats CLI accept
 * them: the credentials are taken out of the URLs (and registered as secrets).
 */
export function credentialsFromUrls(urls: string[]): {
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
} {
  const result: { servers: string[]; user?: string; password?: string; token?: string } = {
    servers: [],
  };
  const decode = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  for (const url of urls) {
    const { scheme, userinfo, address } = splitServerEntry(url);
    if (userinfo === undefined) {
      result.servers.push(url);
      continue;
    }
    result.servers.push(scheme + address);
    registerSecret(userinfo);
    const colon = userinfo.indexOf(":");
    if (colon >= 0) {
      result.user ??= decode(userinfo.slice(0, colon));
      result.password ??= decode(userinfo.slice(colon + 1));
      registerSecret(userinfo.slice(colon + 1));
      registerSecret(result.password);
    } else {
      result.token ??= decode(userinfo);
      registerSecret(result.token);
    }
  }
  return result;
}

/** The credentials in force, their references (env://, file://, data:) resolved. */
async function resolvedCredentials(s: ConnectSettings) {
  const where = (key: CredentialKey) => s.origins?.[key] ?? CREDENTIAL_FLAGS[key];
  const get = async (key: CredentialKey, kind: "path" | "literal") => {
    const value = s[key];
    return value ? resolveCredential(value, kind, where(key)) : undefined;
  };
  const creds = await get("creds", "path");
  const nkey = creds === undefined ? await get("nkey", "path") : undefined;
  const jwt = await get("jwt", "literal");
  const seed = await get("seed", "literal");
  if (seed !== undefined && jwt === undefined && creds === undefined && nkey === undefined)
    throw usageError(`${where("seed")} is the seed of a user JWT: give the JWT too (--jwt)`);
  return {
    password: await get("password", "literal"),
    token: await get("token", "literal"),
    creds,
    nkey,
    jwt,
    seed,
  };
}

/** nats.js's default jitter on a reconnect's wait (plain, TLS) */
const RECONNECT_JITTER_MS = 100;
const RECONNECT_JITTER_TLS_MS = 1000;

async function buildOptions(s: ConnectSettings, order: ReconnectOrder): Promise<ConnectionOptions> {
  const nats = await import("nats");
  registerSecret(s.password);
  registerSecret(s.token);
  const { servers, user, password, token } = credentialsFromUrls(s.servers);
  const opts: ConnectionOptions = {
    servers,
    name: s.connectionName ?? "tweetstream",
    timeout: s.timeoutMs,
    // short commands fail fast; listen and serve ride out server restarts
    maxReconnectAttempts: s.reconnectForever ? -1 : 10,
    reconnectTimeWait: 1000,
    // 1 s between attempts on one server, as nats.js's default; another node first after
    // leaving a stuck one (src/nats/failover.ts)
    reconnectDelayHandler: () => order.delay(),
    waitOnFirstConnect: false,
    // nats.js otherwise records a stack trace for every request and publish (two Errors per
    // serve POST, its largest cost after the socket writes); kept when debugging
    noAsyncTraces: !process.env.TWEETSTREAM_DEBUG,
  };
  const c = await resolvedCredentials(s);
  // explicit options win over credentials written into the URL
  const u = s.user ?? user;
  const p = c.password ?? password;
  const t = c.token ?? token;
  if (u !== undefined) opts.user = u;
  if (p !== undefined) opts.pass = p;
  if (t !== undefined && u === undefined) opts.token = t;
  const bytes = (text: string) => new TextEncoder().encode(text);
  // nats.js finds the creds file's blocks by their closing lines, newline included
  if (c.creds !== undefined) opts.authenticator = nats.credsAuthenticator(bytes(c.creds + "\n"));
  else if (c.nkey !== undefined) opts.authenticator = nats.nkeyAuthenticator(bytes(c.nkey.trim()));
  else if (c.jwt !== undefined)
    opts.authenticator = nats.jwtAuthenticator(
      c.jwt.trim(),
      c.seed === undefined ? undefined : bytes(c.seed.trim()),
    );
  // a TLS file that cannot be read is a wrong path (exit 2), found before connecting
  for (const [path, flag] of [
    [s.tlsCert, "--tls-cert"],
    [s.tlsKey, "--tls-key"],
    [s.tlsCa, "--tls-ca"],
  ] as const)
    if (path) await readableFile(path, flag);
  if (s.tlsCert || s.tlsKey || s.tlsCa || s.tlsFirst) {
    opts.tls = {
      ...(s.tlsCert ? { certFile: s.tlsCert } : {}),
      ...(s.tlsKey ? { keyFile: s.tlsKey } : {}),
      ...(s.tlsCa ? { caFile: s.tlsCa } : {}),
      ...(s.tlsFirst ? { handshakeFirst: true } : {}),
    };
  }
  if (s.inboxPrefix) opts.inboxPrefix = s.inboxPrefix;
  return opts;
}

async function open(settings: ConnectSettings): Promise<Connection> {
  const nats = await import("nats");
  const tls = Boolean(settings.tlsCert || settings.tlsKey || settings.tlsCa || settings.tlsFirst);
  const order = reconnectOrder(1000, tls ? RECONNECT_JITTER_TLS_MS : RECONNECT_JITTER_MS);
  const opts = await buildOptions(settings, order);
  let nc: NatsConnection;
  try {
    nc = await nats.connect(opts);
  } catch (err) {
    throw toCliError(err, { phase: "connect", servers: settings.servers });
  }
  order.connected();
  onReconnect(nc, () => order.connected());
  // leaving a stuck node: the others first, for one connect timeout
  watchStaleServer(nc, settings.timeoutMs, settings.servers.length, () => {
    markLeft(nc, nc.info?.server_name);
    order.leaving(settings.timeoutMs);
  });
  if (settings.trace)
    nc = (await import("./trace.js")).tracedConnection(
      nc,
      redactServers(settings.servers),
      settings.jsDomain ? undefined : settings.jsApiPrefix,
    );
  const timing = timingFor(settings.timeoutMs);
  let jsm: Promise<JetStreamManager> | undefined;
  let js: JetStreamClient | undefined;
  return {
    nc,
    settings,
    jsm() {
      jsm ??= openManager(nc, timing, jsApiOptions(settings, timing.requestMs)).catch(
        (err: unknown) => {
          throw toCliError(err, { phase: "jetstream", servers: settings.servers });
        },
      );
      return jsm;
    },
    js() {
      js ??= nc.jetstream(jsApiOptions(settings, timing.requestMs));
      return js;
    },
  };
}

/** The process's connection, opened on first call. */
export function getConnection(settings: ConnectSettings): Promise<Connection> {
  pending ??= open(settings).then((c) => {
    current = c;
    return c;
  });
  return pending;
}

/** Drain (flush what is pending, then close) the connection if one was opened. */
export async function closeConnection(): Promise<void> {
  const conn = current ?? (await pending?.catch(() => undefined));
  pending = undefined;
  current = undefined;
  if (!conn || conn.nc.isClosed()) return;
  const timer = new Promise<"timeout">((resolve) => {
    const t = setTimeout(() => resolve("timeout"), Math.max(conn.settings.timeoutMs, 1000));
    t.unref();
  });
  try {
    const result = await Promise.race([conn.nc.drain().then(() => "drained" as const), timer]);
    if (result === "timeout") await conn.nc.close();
  } catch {
    if (!conn.nc.isClosed()) await conn.nc.close().catch(() => undefined);
  }
}
