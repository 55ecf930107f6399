// The view's writer lease as this instance keeps it: renewed on its own timer (a long first
// build must not lose it), one renewal at a time, and `holding` as of the last answer (a
// renewal that failed keeps what was known). How the lease itself works (compare-and-set,
// expiry on this instance's clock) is src/nats/timeline-bucket.ts `timelineLease`.

import { timelineLease, type TimelineBucket } from "../../nats/timeline-bucket.js";
import { LEASE_KEY } from "./keys.js";

export const LEASE_TTL_MS = 5000;

export interface LeaseKeeperOptions {
  bucket: TimelineBucket;
  owner: string;
  /** each renewal's outcome (`err` undefined: the bucket took the write) */
  noteWrite(err?: unknown): void;
  ttlMs?: number;
  now?: () => number;
}

export class LeaseKeeper {
  private readonly lease;
  private held = false;
  private refreshing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: LeaseKeeperOptions) {
    const ttl = opts.ttlMs ?? LEASE_TTL_MS;
    this.lease = timelineLease(opts.bucket, LEASE_KEY, opts.owner, ttl, opts.now);
  }

  /** Whether this instance held the lease at the last renewal. */
  get holding(): boolean {
    return this.held;
  }

  /** Renews every `everyMs` until stopped. */
  keep(everyMs: number): void {
    this.timer ??= setInterval(() => void this.refresh(), everyMs);
  }

  /** Renews (or takes) the lease now; resolves with whether this instance holds it. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.lease
      .refresh()
      .then(
        (held) => {
          this.opts.noteWrite();
          return held;
        },
        (err: unknown) => {
          this.opts.noteWrite(err);
          return this.held;
        },
      )
      .then((held) => {
        this.refreshing = undefined;
        if (!this.stopped) this.held = held;
        return held;
      });
    return this.refreshing;
  }

  /** Stops renewing; resolves once a renewal under way has its answer. */
  async halt(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.refreshing;
  }

  /** Gives the lease up (after `halt` and the writer's last save): another takes over at once. */
  async release(): Promise<void> {
    await this.halt();
    await this.lease.release().catch(() => undefined);
  }
}
