// view's read in attempts (src/nats/view.ts readInAttempts) against an in-memory fake of
// the server side: silence starts the read again from the next sequence, and only silence
// for the whole budget stops it, as a stop the command turns into exit 6.

import { describe, expect, it } from "vitest";
import type { ReadMessage } from "../../src/nats/consumer-session.js";
import type { StartPoint } from "../../src/nats/messages.js";
import {
  readInAttempts,
  type Attempt,
  type OpenAttempt,
  type ViewEnd,
} from "../../src/nats/view.js";

const opts = { stream: "S", restartMs: 200, budgetMs: 900 };

/** A stored message as the consumer delivers it; `pending`: left after it. */
function msg(seq: number, pending: number): ReadMessage {
  // no delivery sequence: the read then counts on its own
  return { seq, info: { pending } } as ReadMessage;
}

/** An attempt that delivers `seqs` (of a stream ending at `last`), then stays silent. */
function attempt(seqs: number[], last: number, nothingLeft = false): Attempt {
  let stopped: (() => void) | undefined;
  const until = new Promise<void>((resolve) => (stopped = resolve));
  async function* messages() {
    for (const seq of seqs) yield msg(seq, last - seq);
    await until; // silence, until stopped
  }
  const iter = messages();
  return {
    nothingLeft,
    messages: {
      [Symbol.asyncIterator]: () => iter,
      stop: () => stopped!(),
      getPending: () => 0,
    } as Attempt["messages"],
    stored: (m) => ({
      stream: "S",
      seq: m.seq,
      subject: "S.tweet_created",
      time: new Date(0),
      data: new TextEncoder().encode(`{"n":${m.seq}}`),
    }),
    close: () => stopped!(),
  };
}

/** An OpenAttempt answering with `attempts` in turn (undefined: no answer), recording each `from`. */
function server(attempts: Array<Attempt | undefined>) {
  const froms: StartPoint[] = [];
  const open: OpenAttempt = async (from) => {
    froms.push(from);
    return attempts.length > 0 ? attempts.shift() : attempt([], 0);
  };
  return { open, froms };
}

async function readAll(open: OpenAttempt, total: number) {
  const seqs: number[] = [];
  const read = readInAttempts(open, opts, { deliver_policy: "all" }, total, { queued: () => 0 });
  for (;;) {
    const r = await read.next();
    if (r.done) return { seqs, end: r.value as ViewEnd };
    seqs.push(r.value.seq);
  }
}

describe("view's read in attempts", () => {
  it("after silence reads on from the next sequence with a new attempt, to the end", async () => {
    const s = server([attempt([1, 2, 3], 5), attempt([4, 5], 5)]);
    const { seqs, end } = await readAll(s.open, 5);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(end).toEqual({ stopped: false, shown: 5, lastSeq: 5 });
    expect(s.froms).toEqual([
      { deliver_policy: "all" },
      { deliver_policy: "by_start_sequence", opt_start_seq: 4 },
    ]);
  });

  it("stops after the budget of silence, naming the last sequence shown", async () => {
    const s = server([attempt([1, 2], 10)]);
    const started = Date.now();
    const { seqs, end } = await readAll(s.open, 10);
    expect(seqs).toEqual([1, 2]);
    expect(end).toEqual({ stopped: true, shown: 2, lastSeq: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(opts.budgetMs);
    // asked again in between, each time from sequence 3
    expect(s.froms.length).toBeGreaterThan(2);
    for (const from of s.froms.slice(1))
      expect(from).toEqual({ deliver_policy: "by_start_sequence", opt_start_seq: 3 });
  });

  it("a server that never answers is a stop with nothing shown", async () => {
    const { seqs, end } = await readAll(async () => undefined, 3);
    expect(seqs).toEqual([]);
    expect(end).toEqual({ stopped: true, shown: 0 });
  });

  it("ends normally when nothing is left to read (removed since it was counted)", async () => {
    const s = server([attempt([1], 3), attempt([], 3, true)]);
    const { seqs, end } = await readAll(s.open, 3);
    expect(seqs).toEqual([1]);
    expect(end).toEqual({ stopped: false, shown: 1, lastSeq: 1 });
  });
});
