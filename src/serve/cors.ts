// Cross-origin access to serve's API for other front-ends (`--cors <origins>`, off by
// default): the allowed origins get Access-Control-Allow-Origin on every answer, and a
// preflight (OPTIONS with Access-Control-Request-Method) is answered here with 204.

import type { IncomingMessage, ServerResponse } from "node:http";
import { usageError } from "../errors.js";

/** "*" (any origin) or the exact origins allowed. */
export type CorsPolicy = "*" | ReadonlySet<string>;

const ALLOW_METHODS = "GET, HEAD, POST";
const ALLOW_HEADERS = "Content-Type, Idempotency-Key, Last-Event-ID, Authorization";
const EXPOSE_HEADERS = "Location, Idempotent-Replayed, Retry-After";
const PREFLIGHT_MAX_AGE_S = "600";

/** `--cors` as given: `*` or comma-separated origins like `http://localhost:5173`. */
export function parseCorsOrigins(value: string): CorsPolicy {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw usageError("--cors needs an origin, e.g. http://localhost:5173");
  if (items.includes("*")) return "*";
  for (const item of items) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    const ok = url && (url.protocol === "http:" || url.protocol === "https:");
    if (!ok || url!.origin !== item.replace(/\/$/, "").toLowerCase()) {
      throw usageError(
        `--cors: "${item}" is not an origin (scheme://host[:port], e.g. http://localhost:5173)`,
      );
    }
  }
  return new Set(items.map((i) => new URL(i).origin));
}

/**
 * Adds the CORS headers an allowed origin gets; true when the request was a preflight
 * and is answered.
 */
export function applyCors(policy: CorsPolicy, req: IncomingMessage, res: ServerResponse) {
  const origin = req.headers.origin;
  const allowed = origin !== undefined && (policy === "*" || policy.has(origin));
  res.setHeader("Vary", "Origin");
  if (allowed) {
    res.setHeader("Access-Control-Allow-Origin", policy === "*" ? "*" : origin);
    res.setHeader("Access-Control-Expose-Headers", EXPOSE_HEADERS);
  }
  const preflight =
    req.method === "OPTIONS" &&
    origin !== undefined &&
    req.headers["access-control-request-method"] !== undefined;
  if (!preflight) return false;
  // a refused origin gets a 204 without Allow-* headers: the browser then blocks the call
  const headers: Record<string, string> = allowed
    ? {
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
      }
    : {};
  res.writeHead(204, headers);
  res.end();
  return true;
}
