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
