// Server-Sent Events: every event applied to the timeline's memory (its "applied" signal,
// src/serve/timeline/memory.ts) goes to every live client, in stream order, with its sequence as the SSE id (so a client reconnecting
// with Last-Event-ID resumes where it stopped). A resuming client is first replayed
// from the stream itself (src/serve/replay.ts), then joins the live clients; a client
// never gets a sequence twice. Slow live clients are dropped rather than buffered
// without bound.

import type { ServerResponse } from "node:http";
import type { TweetEvent } from "../events.js";
import type { SequencedEvent } from "./timeline/model.js";

/** A client whose unsent output grows beyond this is disconnected. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export function frame(e: SequencedEvent): string {
  return `id: ${e.seq}\nevent: ${e.messageType}\ndata: ${JSON.stringify(e)}\n\n`;
}

export class SseHub {
  /** live clients → the last sequence each was sent */
  private readonly clients = new Map<ServerResponse, number>();
  private readonly heartbeat: NodeJS.Timeout;
  /** every open event stream, replaying or live (closed on shutdown) */
  private readonly open = new Set<ServerResponse>();
  /** `position`: the last stream sequence the timeline applied (event or not) */
  constructor(private readonly position: () => number) {
    // a comment line now and then keeps proxies from closing an idle stream
    this.heartbeat = setInterval(() => this.send(0, ": keepalive\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.open.size;
  }

  get lastSeq(): number {
    return this.position();
  }

  /** Starts the event stream on `res` (headers and a first comment); not live yet. */
  begin(res: ServerResponse): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 2000\n: connected\n\n");
    this.open.add(res);
    res.on("close", () => {
      this.open.delete(res);
      this.clients.delete(res);
    });
  }

  /** Makes `res` live: from now on it gets every event after `sentUpTo`. */
  attach(res: ServerResponse, sentUpTo: number): void {
    if (res.destroyed || !this.open.has(res)) return;
    this.clients.set(res, sentUpTo);
  }

  /** Called once for every new sequence applied, in order; `event` null when it is not one. */
  publish(seq: number, event: TweetEvent | null): void {
    // no clients (the usual case under load): no frame to build
    if (event && this.clients.size > 0) this.send(seq, frame({ ...event, seq }));
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const res of this.open) res.end();
    this.open.clear();
    this.clients.clear();
  }

  private send(seq: number, text: string): void {
    for (const [res, sent] of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      if (seq !== 0 && seq <= sent) continue;
      if (seq !== 0) this.clients.set(res, seq);
      res.write(text);
    }
  }
}
