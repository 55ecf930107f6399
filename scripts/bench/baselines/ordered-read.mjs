#!/usr/bin/env node
// Baseline for `view --json`: the minimal nats.js ordered consumer reading `count`
// messages. Usage: ordered-read.mjs URL STREAM COUNT
import { connect } from "nats";

const [url, stream, countText] = process.argv.slice(2);
const count = Number(countText);
const nc = await connect({ servers: url });
const consumer = await nc.jetstream().consumers.get(/** @type {string} */ (stream));
const messages = await consumer.consume();
let n = 0;
for await (const _m of messages) {
  if (++n >= count) break;
}
await nc.drain();
