// Time units and waiting, once for every layer: JetStream speaks nanoseconds, Node milliseconds.

/** Nanoseconds in a millisecond: JetStream durations (max_age, ack_wait, …) are in ns. */
export const NS_PER_MS = 1_000_000;

/** Resolves after `ms` milliseconds; never rejects. The timer keeps the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
