// How long serve's writes stay unanswered when its node stops answering: the measurement
// shared by the SIGSTOP scenario (cluster.test.ts) and the silent partition
// (partition.test.ts). Lives beside them, not in test/helpers, as it serves these two only.

import { delay } from "../helpers/cli.js";

/** One POST /tweets, timed from before it was sent to its answer (status 0: none). */
export interface WriteProbe {
  start: number;
  end: number;
  status: number;
  id?: string;
  /** the stream sequence a 201 names */
  seq?: number;
}

/** The first 201 is expected within this long (target 3 s; room for two busy cores). */
export const FAILOVER_BOUND_MS = 5_000;

/**
 * serve's connection moves, from its `--log-format json` stderr: `lost 1503 ms, back
 * 1612 ms to 127.0.0.1:4223`, ms after `sinceEpochMs` (Date.now()). Where the time went
 * when a failover is slow: a late "back" is the client (it dialed a silent node), an early
 * one is JetStream (no ack yet on the new node).
 */
export function connectionMoves(
  stderr: string,
  sinceEpochMs: number,
  name: (server: string) => string = (s) => s,
): string {
  const moves: string[] = [];
  for (const line of stderr.split("\n")) {
    let entry: { time?: string; context?: { nats?: string; server?: string } } = {};
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // not a log entry
    }
    const nats = entry?.context?.nats;
    if (!nats || !entry.time) continue;
    const ms = Date.parse(entry.time) - sinceEpochMs;
    moves.push(
      nats === "connected"
        ? `back ${ms} ms to ${name(entry.context?.server ?? "?")}`
        : `lost ${ms} ms`,
    );
  }
  return moves.join(", ") || "no move logged";
}

export function writeProbes(url: string) {
  const probes: WriteProbe[] = [];
  let n = 0;
  const post = async (): Promise<void> => {
    const start = performance.now();
    const res = await fetch(`${url}/tweets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: `probe #${n++}`, author: "failover" }),
      signal: AbortSignal.timeout(20_000),
    }).catch(() => undefined);
    const body = res ? ((await res.json().catch(() => ({}))) as { id?: string; seq?: number }) : {};
    const { id, seq } = body;
    probes.push({ start, end: performance.now(), status: res?.status ?? 0, id, seq });
  };
  /** ms from `since` to the answers 201 of POSTs sent after it */
  const recovered = (since: number) =>
    probes.filter((p) => p.start >= since && p.status === 201).map((p) => p.end - since);
  return {
    probes,
    /** `count` POSTs one after the other; their statuses */
    async sequential(count: number): Promise<number[]> {
      for (let i = 0; i < count; i++) await post();
      return probes.slice(-count).map((p) => p.status);
    },
    /**
     * A new POST every 100 ms (not waiting for the previous one) from `since` until one
     * is answered 201, for up to 15 s; every answer awaited. The first 201's ms after `since`
     * (Infinity: none).
     */
    async untilWritable(since: number): Promise<number> {
      const sent: Promise<void>[] = [];
      for (let i = 0; i < 150 && recovered(since).length === 0; i++) {
        sent.push(post());
        await delay(100);
      }
      await Promise.all(sent);
      return Math.min(...recovered(since));
    },
    /** each answer as `sent→answered status [#seq]`, ms after `since` */
    timeline(since: number): string {
      return probes
        .map(
          (p) =>
            `${Math.round(p.start - since)}→${Math.round(p.end - since)} ${p.status}` +
            (p.seq === undefined ? "" : ` #${p.seq}`),
        )
        .join("\n");
    },
  };
}
