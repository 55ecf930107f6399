import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readLines } from "../../src/input/lines.js";

/** [lineNo, text] for lines, [lineNo, size] for over-limit ones. */
async function collect(chunks: string[], max = 10): Promise<Array<[number, string | number]>> {
  const out: Array<[number, string | number]> = [];
  const input = Readable.from(chunks.map((c) => Buffer.from(c)));
  for await (const batch of readLines(input, max)) {
    for (const l of batch)
      out.push(
        "bytes" in l ? [l.lineNo, Buffer.from(l.bytes).toString()] : [l.lineNo, l.overLimit],
      );
  }
  return out;
}

describe("readLines", () => {
  it("splits across chunk boundaries, strips \\r, numbers blank lines without yielding them", async () => {
    expect(await collect(["ab", "c\nd", "e\r\n\n  \nf"])).toEqual([
      [1, "abc"],
      [2, "de"],
      [5, "f"],
    ]);
  });
  it("reports an over-limit line by its size without keeping it, and carries on", async () => {
    expect(await collect(["12345", "678901234", "5\nok\n", "x".repeat(11)])).toEqual([
      [1, 15],
      [2, "ok"],
      [3, 11],
    ]);
  });
  it("a line of exactly the limit passes, with or without \\r", async () => {
    expect(await collect(["0123456789\r\n0123456789"])).toEqual([
      [1, "0123456789"],
      [2, "0123456789"],
    ]);
  });
  it("cuts a chunk's lines into batches of at most 256, in order, blank lines counted", async () => {
    const text = Array.from({ length: 1000 }, (_, i) => (i % 10 === 9 ? "" : `l${i}`)).join("\n");
    const counts = { blank: 0 };
    const sizes: number[] = [];
    const lines: number[] = [];
    for await (const batch of readLines(Readable.from([Buffer.from(text + "\n")]), 10, counts)) {
      sizes.push(batch.length);
      for (const l of batch) lines.push(l.lineNo);
    }
    expect(sizes).toEqual([256, 256, 256, 132]);
    expect(lines).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1).filter((n) => n % 10));
    expect(counts.blank).toBe(100);
  });
});
