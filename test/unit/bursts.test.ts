// The burst buffer (src/bursts.ts) and view's writer on it (src/output/bursts.ts): one
// write per burst of what has already arrived, a burst cut at BURST_COUNT items or
// BURST_BYTES, and a writer that stops at once when stdout refuses a burst.

import { describe, expect, it } from "vitest";
import { Burst, BURST_BYTES, BURST_COUNT, ByteBurst } from "../../src/util/bursts.js";
import { writeInBursts } from "../../src/output/bursts.js";

/** an iterator over `values`, all already there (as a backlog the client has received) */
function ready<T>(values: T[]): AsyncIterator<T, "end"> {
  let i = 0;
  return {
    next: async () =>
      i < values.length ? { done: false, value: values[i++]! } : { done: true, value: "end" },
  };
}

describe("bursts", () => {
  it("a burst is full at BURST_COUNT items or BURST_BYTES of text, and empties when taken", () => {
    const small = new Burst<number>();
    for (let i = 1; i < BURST_COUNT; i++) expect(small.add(i, "x\n")).toBe(false);
    expect(small.add(BURST_COUNT, "x\n")).toBe(true);
    const { text, items } = small.take();
    expect(items).toHaveLength(BURST_COUNT);
    expect(text).toBe("x\n".repeat(BURST_COUNT));
    expect(small.length).toBe(0);
    const big = new Burst<number>();
    expect(big.add(1, "y".repeat(BURST_BYTES - 1))).toBe(false);
    expect(big.add(2, "y")).toBe(true);
  });

  it("view's writer writes a backlog in full bursts and returns the iterator's value", async () => {
    const writes: string[] = [];
    const values = Array.from({ length: BURST_COUNT * 2 + 3 }, (_, i) => i);
    const r = await writeInBursts(
      ready(values),
      (v) => `${v}\n`,
      async (t) => {
        writes.push(t);
        return true;
      },
    );
    expect(r).toBe("end");
    expect(writes.map((w) => w.split("\n").length - 1)).toEqual([BURST_COUNT, BURST_COUNT, 3]);
    expect(writes.join("")).toBe(values.map((v) => `${v}\n`).join(""));
  });

  it("view's writer stops at the first burst stdout refuses, and closes the iterator", async () => {
    let closed = false;
    const values = Array.from({ length: BURST_COUNT * 3 }, (_, i) => i);
    const iter = {
      ...ready(values),
      return: async () => ((closed = true), { done: true as const, value: "end" as const }),
    };
    let writes = 0;
    const r = await writeInBursts(
      iter,
      (v) => `${v}\n`,
      async () => (++writes, false),
    );
    expect(r).toBeUndefined();
    expect(writes).toBe(1);
    expect(closed).toBe(true);
  });
});

describe("byte bursts (listen)", () => {
  it("gathers UTF-8 bytes, full at BURST_COUNT items or BURST_BYTES bytes, growing for a long line", () => {
    const burst = new ByteBurst<number>();
    for (let i = 1; i < BURST_COUNT; i++) expect(burst.add(i, "é€\n")).toBe(false);
    expect(burst.add(BURST_COUNT, "x\n")).toBe(true);
    const { bytes, items } = burst.take();
    expect(items).toHaveLength(BURST_COUNT);
    expect(Buffer.from(bytes).toString()).toBe("é€\n".repeat(BURST_COUNT - 1) + "x\n");
    expect(burst.length).toBe(0);
    // a line longer than the buffer: it grows, and what was gathered before is kept
    const long = "😀".repeat(BURST_BYTES);
    expect(burst.add(1, "a\n")).toBe(false);
    expect(burst.add(2, long)).toBe(true);
    expect(Buffer.from(burst.take().bytes).toString()).toBe("a\n" + long);
    expect(burst.add(3, "y".repeat(BURST_BYTES - 1))).toBe(false);
    expect(burst.add(4, "y")).toBe(true);
  });
});
