// For tests of listen's ack ledger (acks.ts) over an in-memory fake of the server.

import type { AckLedger, AckableMessage } from "../../../src/nats/acks.js";

/**
 * Acknowledges, then lets the consumer check the ledger may have started in the background
 * end (the fake answers without I/O: one turn of the event loop is enough).
 */
export async function acknowledged(ledger: AckLedger, batch: AckableMessage[]): Promise<void> {
  await ledger.acknowledge(batch);
  await new Promise((resolve) => setImmediate(resolve));
}
