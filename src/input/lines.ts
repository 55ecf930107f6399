// Reads newline-delimited input (a file or stdin) as a stream of byte lines, one chunk at
// a time, so a file of any size is read in bounded memory. A line longer than the limit is
// not buffered: it is reported by its number and length and skipped up to its newline.

import type { Readable } from "node:stream";

/**
 * Most lines in a batch. A batch lives until its last line is published: a whole chunk's
 * (2 600 lines of 256 KiB) outlived a scavenge or two and was promoted, lines and views.
 */
const BATCH = 256;

export type Line =
  | { lineNo: number; bytes: Uint8Array }
  /** the line had more than `maxBytes` bytes (at least `bytes`); its content was dropped */
  | { lineNo: number; overLimit: number };

const NL = 0x0a;
const CR = 0x0d;

/**
 * The lines of `input`, numbered from 1, without their `\n` (nor a `\r` before it), in
 * batches of the complete lines of each chunk read, at most BATCH each: one await per batch,
 * not per line. Blank lines are numbered but not yielded.
 */
export async function* readLines(
  input: Readable,
  maxBytes: number,
  /** blank lines seen so far, counted here */
  counts: { blank: number } = { blank: 0 },
): AsyncGenerator<Line[]> {
  let lineNo = 0;
  let parts: Buffer[] = [];
  let partLength = 0;
  let skipped = -1; // bytes of an over-limit line seen so far, -1 when not skipping

  const finish = (tail: Buffer): Line | undefined => {
    lineNo++;
    if (skipped >= 0) {
      const total = skipped + tail.length;
      skipped = -1;
      return { lineNo, overLimit: total };
    }
    let bytes = partLength === 0 ? tail : Buffer.concat([...parts, tail], partLength + tail.length);
    parts = [];
    partLength = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    if (bytes.length > maxBytes) return { lineNo, overLimit: bytes.length };
    if (bytes.length === 0 || isBlank(bytes)) {
      counts.blank++;
      return undefined;
    }
    return { lineNo, bytes };
  };

  for await (const chunk of input as AsyncIterable<Buffer>) {
    let batch: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) break;
      const line = finish(chunk.subarray(start, nl));
      start = nl + 1;
      if (!line) continue;
      batch.push(line);
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (skipped >= 0) skipped += rest.length;
      else if (partLength + rest.length > maxBytes + 1) {
        // +1: the line may still end with a \r that does not count
        skipped = partLength + rest.length;
        parts = [];
        partLength = 0;
      } else {
        // copy: the stream may reuse its chunk buffers
        parts.push(Buffer.from(rest));
        partLength += rest.length;
      }
    }
  }
  if (partLength > 0 || skipped >= 0) {
    const line = finish(Buffer.alloc(0));
    if (line) yield [line];
  }
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}
