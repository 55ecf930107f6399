// A connection's status events as nats.js 2.x gives them: each status() call is a new
// watch (a QueuedIterator: events pushed to every watch, stop() ending its iteration at
// once). The fake counts the watches alive: made and whose iteration has not ended.

import type { Status } from "nats";

export function statusEvents() {
  const watches = new Set<{ queue: Status[]; wake(): void }>();
  let alive = 0;
  return {
    /** the connection's status(): a new watch */
    status() {
      const queue: Status[] = [];
      let stopped = false;
      let wake = () => {};
      const watch = { queue, wake: () => wake() };
      watches.add(watch);
      alive++;
      return {
        async *[Symbol.asyncIterator]() {
          try {
            while (!stopped) {
              const s = queue.shift();
              if (s) yield s;
              else await new Promise<void>((r) => (wake = r));
            }
          } finally {
            watches.delete(watch);
            alive--;
          }
        },
        stop() {
          stopped = true;
          watches.delete(watch);
          wake();
        },
      };
    },
    /** an event to every watch (the server lost, a publish refused...) */
    push(s: Status) {
      for (const w of watches) {
        w.queue.push(s);
        w.wake();
      }
    },
    /** watches whose iteration has not ended */
    alive: () => alive,
  };
}
