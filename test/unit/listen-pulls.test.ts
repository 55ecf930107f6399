// listen's pulls (src/nats/listen-pulls.ts) over a fake consumer: the sizes asked for (a
// pipe's slow start, --count, the room the window leaves beside the pull being read) and
// the stop, which cuts off every open pull and any that opens later.

import type { Consumer, ConsumerMessages } from "nats";
import { describe, expect, it } from "vitest";
import { Pulls, WINDOW } from "../../src/nats/listen-pulls.js";

function fakeConsumer() {
  const asked: number[] = [];
  const stopped: number[] = [];
  let n = 0;
  const consumer = {
    fetch: (opts: { max_messages: number }) => {
      const id = ++n;
      asked.push(opts.max_messages);
      return Promise.resolve({ stop: () => stopped.push(id) } as unknown as ConsumerMessages);
    },
  } as unknown as Consumer;
  return { consumer, asked, stopped };
}

describe("listen's pulls", () => {
  it("start at 1 in a pipe and double up to the window; a full window at once otherwise", () => {
    const slow = fakeConsumer();
    const pulls = new Pulls(true);
    for (let i = 0; i < 11; i++) pulls.start(slow.consumer, "c", Infinity, 0, 5_000);
    expect(slow.asked).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256]);
    const fast = fakeConsumer();
    new Pulls(false).start(fast.consumer, "c", Infinity, 0, 5_000);
    expect(fast.asked).toEqual([WINDOW]);
  });

  it("never ask for more than is needed, nor more than the window holds beside what is still to come", () => {
    const f = fakeConsumer();
    const pulls = new Pulls(false);
    expect(pulls.start(f.consumer, "c", 3, 0, 5_000)?.asked).toBe(3);
    expect(pulls.start(f.consumer, "c", Infinity, 64, 5_000)?.asked).toBe(WINDOW - 64);
    expect(pulls.start(f.consumer, "c", 0, 0, 5_000)).toBeNull();
    expect(pulls.start(f.consumer, "c", Infinity, WINDOW, 5_000)).toBeNull();
    expect(f.asked).toEqual([3, WINDOW - 64]);
  });

  it("a stop cuts off every open pull, and one that opens after it at once", async () => {
    const f = fakeConsumer();
    const pulls = new Pulls(false);
    const first = pulls.start(f.consumer, "c", Infinity, 0, 5_000)!;
    const second = pulls.start(f.consumer, "c", Infinity, 0, 5_000)!;
    await Promise.all([first.messages, second.messages]);
    pulls.ended(await first.messages); // read to its end: nothing to cut off
    pulls.cutOff();
    expect(f.stopped).toEqual([2]);
    await pulls.start(f.consumer, "c", Infinity, 0, 5_000)!.messages;
    expect(f.stopped).toEqual([2, 3]);
  });
});
