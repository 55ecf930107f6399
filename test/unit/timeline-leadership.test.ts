// The writer's states (src/serve/timeline/leadership.ts) and when a generation is built
// again: pure transitions, no server.

import { describe, expect, it } from "vitest";
import {
  buildProgress,
  fed,
  feedStep,
  progressed,
  reachedEnd,
  reader,
  rebuildReason,
  rebuilt,
  runOf,
  startRebuild,
  startWriting,
  type Leadership,
} from "../../src/serve/timeline/leadership.js";

const run = { name: "run" };

describe("leadership", () => {
  it("a writer behind the stream catches up, then is fed by memory once contiguous", () => {
    let s: Leadership<typeof run> = startWriting(run, 10, 200);
    expect(s).toEqual({ kind: "catching-up", run, seq: 10, of: 200 });
    expect(buildProgress(s)).toEqual({ seq: 10, of: 200 });
    s = progressed(s, 150);
    expect(buildProgress(s)).toEqual({ seq: 150, of: 200 });
    // memory's messages are not the writer's while it reads on its own
    expect(feedStep(s, 150, 149)).toBe("skip");
    s = reachedEnd(s);
    expect(s.kind).toBe("caught-up");
    expect(buildProgress(s)).toBeUndefined();
    // memory is further than the writer queued: wait for the next one right after
    expect(feedStep(s, 200, 205)).toBe("skip");
    expect(feedStep(s, 205, 205)).toBe("take-over");
    s = fed(s);
    expect(s.kind).toBe("fed");
    expect(feedStep(s, 206, 206)).toBe("add");
    // memory restarted ahead of the writer: the writer starts over
    expect(feedStep(s, 206, 300)).toBe("restart");
    expect(runOf(s)).toBe(run);
  });

  it("a writer at the stream's end starts caught up; a reader has no writer", () => {
    expect(startWriting(run, 200, 200).kind).toBe("caught-up");
    expect(runOf(reader)).toBeUndefined();
    expect(feedStep(reader, 0, 0)).toBe("skip");
    expect(reachedEnd(reader)).toBe(reader);
  });

  it("a rebuild reports its progress and is fed only once it switched", () => {
    let s: Leadership<typeof run> = startRebuild(run, 4, 0, 1000);
    expect(buildProgress(s)).toEqual({ seq: 0, of: 1000 });
    s = progressed(s, 600);
    expect(feedStep(s, 600, 600)).toBe("skip");
    s = reachedEnd(s);
    expect(s).toMatchObject({ kind: "rebuilding", gen: 4, seq: 1000 });
    s = rebuilt(s);
    expect(s.kind).toBe("caught-up");
  });
});

describe("rebuildReason", () => {
  const head = { stream_created: "t0", first_seq: 1, cursor: 100 };
  const stream = (first_seq: number, last_seq: number, created = "t0") => ({
    created,
    first_seq,
    last_seq,
  });

  it("nothing removed, same stream: none", () => {
    expect(rebuildReason(head, stream(1, 120), 110, 0, 60_000)).toBeUndefined();
  });

  it("the stream recreated, or gone back below the cursor", () => {
    expect(rebuildReason(head, stream(1, 120, "t1"), 110, 0, 60_000)).toBe("recreated");
    expect(rebuildReason(head, stream(1, 50), 110, 0, 60_000)).toBe("recreated");
  });

  it("purged: nothing stored at the previous tick is left", () => {
    expect(rebuildReason(head, stream(121, 120), 120, 0, 60_000)).toBe("emptied");
  });

  it("trimmed by limits: at most every trimEveryMs", () => {
    expect(rebuildReason(head, stream(30, 120), 120, 1_000, 60_000)).toBeUndefined();
    expect(rebuildReason(head, stream(30, 120), 120, 61_000, 60_000)).toBe("trimmed");
  });

  it("a writer starting over rebuilds on any removal (the start's check)", () => {
    expect(rebuildReason(head, stream(2, 120), Infinity, Infinity, 0)).toBe("trimmed");
  });
});
