// Bursts: what has already arrived is rendered into one buffer and written with one call
// when nothing more is waiting (or the buffer is full), so a backlog costs one write per
// burst rather than one per message, and a trickle is not delayed at all. Pure: shared by
// output/bursts.ts (view) and nats/listen.ts (which acknowledges each burst it wrote).

export const NOTHING_YET = Symbol("nothing yet");

/** Largest burst written at once. */
export const BURST_BYTES = 128 * 1024;
export const BURST_COUNT = 256;

/**
 * `next` if it is already settled (or settles while pending I/O callbacks run), else
 * NOTHING_YET: a message the client has received is queued by then.
 */
export function readyOrNot<T>(next: Promise<T>): Promise<T | typeof NOTHING_YET> {
  return Promise.race([
    next,
    new Promise<typeof NOTHING_YET>((resolve) => setImmediate(() => resolve(NOTHING_YET))),
  ]);
}

/** One burst being gathered: rendered texts and what each came from. */
export class Burst<T> {
  private texts: string[] = [];
  private items: T[] = [];
  private size = 0;

  get length(): number {
    return this.items.length;
  }

  /** adds one rendered item; true when the burst is full and should be written now */
  add(item: T, text: string): boolean {
    this.items.push(item);
    this.texts.push(text);
    this.size += text.length;
    return this.items.length >= BURST_COUNT || this.size >= BURST_BYTES;
  }

  /** the burst's text and items, leaving it empty */
  take(): { text: string; items: T[] } {
    const taken = { text: this.texts.join(""), items: this.items };
    this.texts = [];
    this.items = [];
    this.size = 0;
    return taken;
  }
}

/**
 * A burst encoded as it is gathered: each rendered text goes as UTF-8 into one buffer kept
 * for the run, so writing the burst hands over that buffer with no joined string and no
 * copy of it (listen writes one per pull). What take() returns is a view of the buffer:
 * valid until the next add(), so the burst must be written (its write completed) first.
 * The buffer grows (at least doubling) when a line may not fit, counting 3 bytes per UTF-16
 * unit, and stays grown: its size follows the largest burst of the run, not the run.
 */
export class ByteBurst<T> {
  private buffer = Buffer.allocUnsafe(2 * BURST_BYTES);
  private items: T[] = [];
  private size = 0;

  get length(): number {
    return this.items.length;
  }

  /** adds one rendered item; true when the burst is full and should be written now */
  add(item: T, text: string): boolean {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit
    const room = this.size + text.length * 3;
    if (room > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(room, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    this.size += this.buffer.write(text, this.size);
    this.items.push(item);
    return this.items.length >= BURST_COUNT || this.size >= BURST_BYTES;
  }

  /** the burst's bytes (a view of the buffer, see above) and items, leaving it empty */
  take(): { bytes: Uint8Array; items: T[] } {
    const taken = { bytes: this.buffer.subarray(0, this.size), items: this.items };
    this.items = [];
    this.size = 0;
    return taken;
  }
}
