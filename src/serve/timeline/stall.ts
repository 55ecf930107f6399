// Memory's reading standing still while the stream grows. Every POST waits for memory to
// reach its event, so a reader stuck in a way its own checks did not catch must not slow
// every write for good. Memory standing still is normal (an idle stream, or a last
// message purged, which no reader ever reaches); standing still while the stream's last
// sequence grows past it is not. The stream is asked once per STALLED_MS of standing still.
// Pure: the timeline asks the stream and reads again.
//
// Kept (issue 19 item 8): the stall it was written for (memory's follower standing still
// after a NATS restart, about 1 run in 10 of serve-failover.test.ts then) did not come back
// in 16 runs of that test (8 on nats-server 2.9.10, 8 on 2.15.1) with the follower on its
// consumer session, each state logged: after each restart the follower was told of the
// reconnect, probed its consumer (gone: memory consumers do not survive a restart) and read
// from a new one 9 / 27 / 97 ms later (min / median / max); the watch never fired. One way
// a follower still stands still while its server answers: its callback holds it (memory
// waits for the writer's batch, and a batch that failed waits for the writer to stop).
// test/unit/consumer-session.test.ts produces that stall on demand and checks this watch
// ends it.

export const STALLED_MS = 5_000;

export class StallWatch {
  private seq = 0;
  private since: number;
  private streamLast: number | undefined;

  constructor(
    private readonly cursor: () => number,
    private readonly now: () => number = () => Date.now(),
    private readonly stalledMs = STALLED_MS,
  ) {
    this.since = now();
  }

  /** Once a tick: true when memory has stood still long enough to ask the stream. */
  stalled(following: boolean): boolean {
    const at = this.cursor();
    const now = this.now();
    if (!following || at !== this.seq) {
      this.seq = at;
      this.since = now;
      this.streamLast = undefined;
      return false;
    }
    if (now - this.since < this.stalledMs) return false;
    this.since = now;
    return true;
  }

  /**
   * The stream's last sequence, asked after `stalled`: true when it grew past memory
   * (and past what it was when last asked) while memory stood still: read again.
   */
  grewPast(lastSeq: number): boolean {
    if (this.cursor() !== this.seq) return false;
    const before = this.streamLast;
    this.streamLast = lastSeq;
    if (before === undefined || lastSeq <= Math.max(before, this.seq)) return false;
    this.since = this.now();
    this.streamLast = undefined;
    return true;
  }
}
