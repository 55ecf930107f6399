// Writing streams of results in bursts: what has already arrived is rendered into one
// buffer and written with one call when nothing more is waiting, so a backlog costs one
// write per burst rather than one per message, and a trickle is not delayed at all.

import { BURST_BYTES, BURST_COUNT, NOTHING_YET, readyOrNot } from "../util/bursts.js";

// the policy lives in util/bursts.ts (nats/listen.ts uses it too); re-exported for its old importers
export { BURST_BYTES, BURST_COUNT, NOTHING_YET, readyOrNot };

/**
 * Renders everything `iter` yields and writes it in bursts. Stops early (returning
 * undefined) when `write` resolves false (stdout closed); else returns the iterator's
 * return value.
 */
export async function writeInBursts<T, R>(
  iter: AsyncIterator<T, R>,
  render: (value: T) => string,
  write: (text: string) => Promise<boolean>,
  /** how many values are already queued behind `iter`, when the source can tell */
  queued?: () => number,
): Promise<R | undefined> {
  let texts: string[] = [];
  let size = 0;
  const flush = async () => {
    if (texts.length === 0) return true;
    const text = texts.join("");
    texts = [];
    size = 0;
    return write(text);
  };
  for (;;) {
    const next = iter.next();
    let r = texts.length > 0 && !(queued && queued() > 0) ? await readyOrNot(next) : await next;
    if (r === NOTHING_YET) {
      if (!(await flush())) {
        await iter.return?.();
        return undefined;
      }
      r = await next;
    }
    if (r.done) return (await flush()) ? r.value : undefined;
    const text = render(r.value);
    texts.push(text);
    size += text.length;
    if ((texts.length >= BURST_COUNT || size >= BURST_BYTES) && !(await flush())) {
      await iter.return?.();
      return undefined;
    }
  }
}
