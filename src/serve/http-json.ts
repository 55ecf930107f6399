// The tiny JSON side of serve's HTTP: the request's target, its body (bounded, JSON, UTF-8)
// and the JSON answer. Handlers read a request and answer through these; nothing here knows
// a route.

import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http-error.js";
import { checkJsonContentType, parseJsonBody } from "./validate.js";

const JSON_HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
};

/** A JSON answer to send: the status, the body and any headers besides the JSON ones. */
export interface JsonAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { ...JSON_HEADERS, ...headers });
  res.end(JSON.stringify(body) + "\n");
}

/** The body, at most `limit` bytes (413 beyond, before reading it when Content-Length says so). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    // the client went away mid-body ("aborted" is deprecated since Node 17)
    req.on("close", () => {
      if (!req.complete) reject(new HttpError(400, "the request was aborted"));
    });
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `the body is larger than ${limit} bytes`, { Connection: "close" });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/** The JSON body: 415 for another content type (checked before reading), 400 for bad JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  checkJsonContentType(req.headers["content-type"]);
  return parseJsonBody(await readBody(req, limit));
}

/** An optional JSON body: undefined when there is none (no length, or an empty one). */
export async function readOptionalJson(
  req: IncomingMessage,
  limit: number,
): Promise<unknown | undefined> {
  if (!hasBody(req)) return undefined;
  const body = await readBody(req, limit);
  if (body.length === 0) return undefined;
  checkJsonContentType(req.headers["content-type"]);
  return parseJsonBody(body);
}

/**
 * The path and query of a request target. An ordinary path is taken as it is (`new URL`
 * cost more than the rest of routing a GET); anything else is normalised by `new URL`.
 */
export function requestTarget(raw = "/"): { pathname: string; searchParams: URLSearchParams } {
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  if (!/^\/(?!\/)[A-Za-z0-9_\-/]*$/.test(path) || raw.includes("#")) {
    return new URL(raw, "http://localhost");
  }
  return { pathname: path, searchParams: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}
