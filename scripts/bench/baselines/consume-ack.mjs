#!/usr/bin/env node
// Baseline for `listen --durable --json`: the minimal nats.js durable pull consumer that
// acknowledges every message, until `count` messages. Usage: consume-ack.mjs URL STREAM COUNT
import { AckPolicy, connect } from "nats";

const [url, stream, countText] = process.argv.slice(2);
const count = Number(countText);
const nc = await connect({ servers: url });
const jsm = await nc.jetstreamManager();
// a fresh durable each run: from the start of the stream
await jsm.consumers.delete(/** @type {string} */ (stream), "baseline").catch(() => undefined);
await jsm.consumers.add(/** @type {string} */ (stream), {
  durable_name: "baseline",
  ack_policy: AckPolicy.Explicit,
});
const consumer = await nc.jetstream().consumers.get(/** @type {string} */ (stream), "baseline");
const messages = await consumer.consume();
let n = 0;
for await (const m of messages) {
  m.ack();
  if (++n >= count) break;
}
await nc.drain();
