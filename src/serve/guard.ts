// Who serve answers, checked before anything else on every request (docs/security.md):
// - the Host header must be one of serve's own names (DNS rebinding: a page whose name
//   resolves to 127.0.0.1 is another site, though it reaches the same port): 421;
// - a write (any method but GET, HEAD, OPTIONS) from a browser page (an Origin header)
//   must come from serve's own origin or one --cors allows: 403, before any publish;
// - with a write token (--auth-token), every write needs `Authorization: Bearer <token>`,
//   compared in constant time: 401. The token is never printed, logged or echoed.

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { usageError } from "../errors.js";
import type { CorsPolicy } from "./cors.js";

/** `--allowed-hosts`: `*` (any Host: no rebinding check), or names, each `name` or `name:port`. */
export type AllowedHosts = "*" | readonly string[];

export interface GuardOptions {
  /** --host as given (a name is one of serve's names too) */
  host: string;
  allowedHosts?: AllowedHosts;
  cors?: CorsPolicy;
  /** --auth-token: writes need it */
  token?: string;
}

export interface RequestGuard {
  /** the address and port serve listens on, known once it listens */
  listening(address: string, port: number): void;
  /** answers (and returns true) a request serve refuses; false lets it through */
  check(req: IncomingMessage, res: ServerResponse): boolean;
}

/** Names always answered for, whatever the bound address. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
/** How often, at most, the machine's addresses are read again for an unknown Host. */
const INTERFACES_REFRESH_MS = 5000;
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A name as the Host header carries it: lower case, IPv6 in brackets. */
function hostName(name: string): string {
  const n = name.toLowerCase();
  return isIP(n) === 6 ? `[${n}]` : n;
}

/** `--allowed-hosts` as given: `*`, or comma-separated `name` / `name:port` / `[v6]:port`. */
export function parseAllowedHosts(value: string): AllowedHosts {
  const items = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (items.length === 0)
    throw usageError("--allowed-hosts needs a host name, e.g. tweets.example");
  if (items.includes("*")) return "*";
  for (const item of items) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(:\d{1,5})?$/.test(item)) {
      throw usageError(
        `--allowed-hosts: "${item}" is not a host name (name or name:port, e.g. tweets.example:8080)`,
      );
    }
  }
  return items.map((i) => (isIP(i) === 6 ? `[${i}]` : i));
}

/** True for an address only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "";
}

/** The machine's own addresses, as Host headers carry them. */
function ownAddresses(): string[] {
  const names: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.address.includes("%")) names.push(hostName(a.address));
  }
  return names;
}

/** `host[:port]` of a Host header; port 80 when absent (serve speaks plain HTTP). */
function splitHost(header: string): { name: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), port: m[2] === undefined ? 80 : Number(m[2]) };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function refuse(res: ServerResponse, status: number, error: string, headers = {}): true {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  res.end(JSON.stringify({ error }) + "\n");
  return true;
}

export function createRequestGuard(opts: GuardOptions): RequestGuard {
  const tokenDigest = opts.token === undefined ? undefined : digest(opts.token);
  /** names answered on serve's port */
  const names = new Set<string>([...LOOPBACK_NAMES, hostName(opts.host)]);
  let port = -1;
  let wildcard = false;
  let interfacesReadAt = 0;

  function knownName(name: string): boolean {
    if (names.has(name)) return true;
    if (!wildcard || Date.now() - interfacesReadAt < INTERFACES_REFRESH_MS) return false;
    // bound to every address: one added since the last look (a new interface) is ours too
    interfacesReadAt = Date.now();
    for (const n of ownAddresses()) names.add(n);
    return names.has(name);
  }

  function hostAllowed(header: string | undefined): boolean {
    // HTTP/1.1 requires Host (Node answers 400 without it); only an HTTP/1.0 client, never a
    // browser, sends none
    if (header === undefined) return true;
    if (opts.allowedHosts === "*") return true;
    const h = splitHost(header);
    if (!h) return false;
    if (h.port === port && knownName(h.name)) return true;
    // --allowed-hosts: a name alone is any port (behind a proxy), name:port that port
    return (opts.allowedHosts ?? []).some((a) => a === h.name || a === `${h.name}:${h.port}`);
  }

  function originAllowed(origin: string, host: string | undefined): boolean {
    const cors = opts.cors;
    if (cors === "*" || cors?.has(origin)) return true;
    // serve's own page: the origin of the Host it was loaded from (https behind a proxy)
    if (host === undefined) return false;
    const h = host.toLowerCase();
    return origin === `http://${h}` || origin === `https://${h}`;
  }

  function tokenMatches(header: string | undefined): boolean {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
    if (!m || !tokenDigest) return false;
    // equal-length digests: the comparison takes the same time whatever the guess
    return timingSafeEqual(digest(m[1]!), tokenDigest);
  }

  return {
    listening(address, boundPort) {
      port = boundPort;
      wildcard = isWildcard(address);
      names.add(hostName(address));
      if (wildcard) {
        interfacesReadAt = Date.now();
        for (const n of ownAddresses()) names.add(n);
      }
    },
    check(req, res) {
      const host = req.headers.host;
      if (!hostAllowed(host)) {
        return refuse(
          res,
          421,
          "this server does not answer to that host name (see --allowed-hosts)",
          { Connection: "close" },
        );
      }
      if (READ_METHODS.has(req.method ?? "GET")) return false;
      const origin = req.headers.origin;
      if (origin !== undefined && !originAllowed(origin, host)) {
        return refuse(res, 403, "writes from another site's page are refused (see --cors)");
      }
      if (tokenDigest && !tokenMatches(req.headers.authorization)) {
        // a page --cors allows must be able to read the 401 to ask for the token
        const cors =
          origin !== undefined && opts.cors
            ? { "Access-Control-Allow-Origin": opts.cors === "*" ? "*" : origin, Vary: "Origin" }
            : {};
        return refuse(res, 401, "this server needs a write token: Authorization: Bearer <token>", {
          "WWW-Authenticate": 'Bearer realm="tweetstream"',
          ...cors,
        });
      }
      return false;
    },
  };
}
