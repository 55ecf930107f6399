// serve's first writes to a view bucket just made (src/nats/bucket-writes.ts), against the
// in-memory bucket whose fake server answers "no responders" as a cluster does for a moment
// while the bucket's leader is not known everywhere: sent again within the retry budget until
// the stream answered one write; a timeout (maybe stored), a compare-and-set conflict, and
// any write after the stream answered are not sent again there; a budget that runs out fails
// as the write itself would (exit 3, the same text).

import { describe, expect, it } from "vitest";
import { natsError, natsErrorCode, toCliError } from "../../src/nats/errors.js";
import { RevisionConflict, timelineLease } from "../../src/nats/timeline-bucket.js";
import { ExitCode } from "../../src/errors.js";
import { Generations } from "../../src/serve/timeline/generations.js";
import {
  CURRENT_KEY,
  LEASE_KEY,
  isCurrent,
  isHead,
  timelineKeys,
} from "../../src/serve/timeline/keys.js";
import { TimelineWriter } from "../../src/serve/timeline/writer.js";
import { timelineEvent } from "../../src/events.js";
import { memoryBucket } from "./fakes/memory-bucket.js";
import { tweetsAndLikes } from "./fakes/scripted-stream.js";

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("the write was stored");
    },
    (err: unknown) => err,
  );

describe("the view bucket's first writes", () => {
  it("start-up's first write (_current) rides out no responders, stored once; the lease and a first build follow", async () => {
    const mem = memoryBucket();
    // the first three sends of `_current` are not delivered
    mem.server.acked = (_key, n) => (n < 3 ? "no responders" : undefined);
    // as serve starts: the generation in use, the lease, the writer's first build
    const gens = new Generations(
      mem.bucket,
      () => undefined,
      () => true,
      async () => null,
    );
    expect(await gens.current()).toBe(1);
    // sent four times, stored once: the first message of the bucket's stream
    expect(mem.server.ackedSent.get(CURRENT_KEY)).toBe(4);
    expect(await mem.bucket.get(CURRENT_KEY, isCurrent)).toEqual({
      value: { gen: 1 },
      revision: 1,
    });
    expect(await timelineLease(mem.bucket, LEASE_KEY, "me", 5000).refresh()).toBe(true);
    // the writer's first build: its first head, then the records and the head moved on
    const writer = await TimelineWriter.open(
      mem.bucket,
      1,
      { stream_created: "2026-01-01T00:00:00Z", first_seq: 1 },
      { eventAt: async () => null },
    );
    for (const m of tweetsAndLikes(30, 20)) writer.add(m.seq, timelineEvent(m.subject, m.data));
    await writer.flush({ recent: true });
    writer.close();
    const head = await mem.bucket.get(timelineKeys(1).head, isHead);
    expect(head?.value).toMatchObject({ cursor: 50, tweets: 30, likes: 20 });
    expect(mem.server.ackedSent.get(LEASE_KEY)).toBe(1);
  });

  it("the budget run out: the write fails as it did without a retry (exit 3, the same text)", async () => {
    const mem = memoryBucket({ budgetMs: 400 });
    mem.server.acked = () => "no responders";
    const err = await failure(mem.bucket.write(CURRENT_KEY, { gen: 1 }, 0));
    // the failure as the client gave it, not the retry's: the bucket maps it as before
    expect(natsErrorCode(err)).toBe("503");
    const asBefore = toCliError(natsError("no responders", "503"), { phase: "request" });
    expect(toCliError(err, { phase: "request" })).toMatchObject({
      exitCode: ExitCode.Connection,
      message: asBefore.message,
    });
    expect(asBefore.exitCode).toBe(3);
    expect(mem.server.ackedSent.get(CURRENT_KEY)).toBeGreaterThan(1);
    expect(mem.keys()).toEqual([]);
  });

  it("a write that timed out is not sent again: it may have been stored", async () => {
    const mem = memoryBucket();
    mem.server.acked = (_key, n) => (n === 0 ? "timeout" : undefined);
    expect(natsErrorCode(await failure(mem.bucket.write(CURRENT_KEY, { gen: 1 }, 0)))).toBe(
      "TIMEOUT",
    );
    expect(mem.server.ackedSent.get(CURRENT_KEY)).toBe(1);
  });

  it("a compare-and-set conflict is an answer: never sent again", async () => {
    const mem = memoryBucket();
    mem.put(CURRENT_KEY, '{"gen":1}');
    // no responders first, then the stream's answer: the key is not at revision 0
    mem.server.acked = (_key, n) => (n === 0 ? "no responders" : undefined);
    const err = await failure(mem.bucket.write(CURRENT_KEY, { gen: 2 }, 0));
    expect(err).toBeInstanceOf(RevisionConflict);
    expect(mem.server.ackedSent.get(CURRENT_KEY)).toBe(2);
    expect(mem.json(CURRENT_KEY)).toEqual({ gen: 1 });
  });

  it("once the stream answered a write, no responders is the caller's to handle (not sent again)", async () => {
    const mem = memoryBucket();
    mem.server.acked = (_key, n) => (n === 1 ? "no responders" : undefined);
    await mem.bucket.write(CURRENT_KEY, { gen: 1 }, 0);
    const err = await failure(mem.bucket.write(LEASE_KEY, { owner: "me" }, 0));
    expect(natsErrorCode(err)).toBe("503");
    expect(mem.server.ackedSent.get(LEASE_KEY)).toBe(1);
  });
});
