// Writing streams of results in bursts (see ../util/bursts.ts): view's writer.

import { Burst, NOTHING_YET, readyOrNot } from "../util/bursts.js";

export { BURST_BYTES, BURST_COUNT, NOTHING_YET, readyOrNot } from "../util/bursts.js";

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
  const burst = new Burst<T>();
  const flush = () => (burst.length === 0 ? true : write(burst.take().text));
  for (;;) {
    const next = iter.next();
    let r = burst.length > 0 && !(queued && queued() > 0) ? await readyOrNot(next) : await next;
    if (r === NOTHING_YET) {
      if (!(await flush())) {
        await iter.return?.();
        return undefined;
      }
      r = await next;
    }
    if (r.done) return (await flush()) ? r.value : undefined;
    if (burst.add(r.value, render(r.value)) && !(await flush())) {
      await iter.return?.();
      return undefined;
    }
  }
}
