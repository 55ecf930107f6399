// serve's web page: the files of the package's public/ folder (HTML, CSS, JS, icon), read
// once at start-up and answered from memory at GET / and their own paths, with a strict
// Content-Security-Policy (scripts, styles and connections from this origin only, no
// inline code) and an ETag, so a reload costs a 304. Nothing to build: the files ship.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** URL path → file. */
export type StaticFiles = Map<string, StaticFile>;

/**
 * The package's public/ folder: the nearest one beside a package.json, walking up from
 * this module (dist/serve/ when built, dist/ or a chunk folder when bundled).
 */
export function findPublicDir(from: string = fileURLToPath(import.meta.url)): string | undefined {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) {
      const pub = join(dir, "public");
      return existsSync(join(pub, "index.html")) ? pub : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every file of `dir` whose type the page uses, index.html also at "/". */
export function loadStaticFiles(dir: string): StaticFiles {
  const files: StaticFiles = new Map();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    files.set(`/${name}`, { body, type, etag });
  }
  const index = files.get("/index.html");
  if (index) files.set("/", index);
  return files;
}

/** Answers GET/HEAD of a page file; false for anything else (the API's routes). */
export function serveStatic(files: StaticFiles, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = (req.url ?? "/").split("?")[0]!;
  const file = files.get(path);
  if (!file) return false;
  const headers = {
    "Content-Type": file.type,
    "Cache-Control": "no-cache",
    ETag: file.etag,
    "Content-Security-Policy": PAGE_CSP,
    "Referrer-Policy": "no-referrer",
  };
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, "Content-Length": String(file.body.length) });
  res.end(req.method === "HEAD" ? undefined : file.body);
  return true;
}
