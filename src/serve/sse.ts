// Server-Sent Events fan-out: every event the follower reads from the stream goes to
// every connected client, in stream order, with its sequence as the SSE id (so a
// client reconnecting with Last-Event-ID resumes where it stopped). Slow clients are
// dropped rather than buffered without bound.

import type { ServerResponse } from "node:http";
import type { SequencedEvent } from "./projection.js";

/** A client whose unsent output grows beyond this is disconnected. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

function frame(e: SequencedEvent): string {
  return `id: ${e.seq}\nevent: ${e.messageType}\ndata: ${JSON.stringify(e)}\n\n`;
}

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  /** the last stream sequence the follower handed over (event or not) */
  private followed = 0;

  constructor() {
    // a comment line now and then keeps proxies from closing an idle stream
    this.heartbeat = setInterval(() => this.send(": keepalive\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  get lastSeq(): number {
    return this.followed;
  }

  /**
   * Opens the event stream on `res`, first sending `backlog` (events a resuming client
   * missed, only those the follower already handed over, so nothing comes twice).
   */
  add(res: ServerResponse, backlog: SequencedEvent[]): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    let head = "retry: 2000\n: connected\n\n";
    for (const e of backlog) if (e.seq <= this.followed) head += frame(e);
    res.write(head);
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
  }

  /** Called by the follower for every stored message, in order; `event` null when it is not one. */
  publish(seq: number, event: SequencedEvent | null): void {
    if (seq > this.followed) this.followed = seq;
    // no clients (the usual case under load): no frame to build
    if (event && this.clients.size > 0) this.send(frame(event));
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private send(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }
}
