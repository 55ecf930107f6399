// What serve does for browsers before the API routes: security headers on every answer
// (X-Content-Type-Options: nosniff), CORS when --cors is given, and the web page's files.

import type { IncomingMessage, ServerResponse } from "node:http";
import { applyCors, type CorsPolicy } from "./cors.js";
import { findPublicDir, loadStaticFiles, serveStatic, type StaticFiles } from "./static-files.js";

/** A handler that answers (true) or only adds headers and leaves the request to the API (false). */
export type WebFront = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createWebFront(cors: CorsPolicy | undefined, files: StaticFiles | undefined) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    if (cors && applyCors(cors, req, res)) return true;
    return files ? serveStatic(files, req, res) : false;
  };
}

/** The front with the package's page; without its files (a broken install) the API still runs. */
export function webFront(cors: CorsPolicy | undefined, warn: (text: string) => void): WebFront {
  const dir = findPublicDir();
  if (!dir) warn("the web page's files (public/) are missing: GET / answers 404");
  return createWebFront(cors, dir ? loadStaticFiles(dir) : undefined);
}
