// Memory's reading standing still while the stream grows. Every POST waits for memory to
// reach its event, so a reader stuck in a way its own checks did not catch must not slow
// every write for good. Memory standing still is normal (an idle stream, or a last
// message purged, which no reader ever reaches); standing still while the stream's last
// sequence grows past it is not. The stream is asked once per STALLED_MS of standing still.
// Pure: the timeline asks the stream and reads again.

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
