#!/usr/bin/env node
// The fastest baseline for `view --json > file`: an ordered consumer writing the same JSON
// lines as view (event-lines.mjs) to stdout one burst at a time. Stops after `count`.
// Usage: ordered-write.mjs URL STREAM COUNT > file

import { writeSync } from "node:fs";
import { connect } from "nats";
import { viewLine } from "./event-lines.mjs";

const [url, stream, countText] = process.argv.slice(2);
if (!url || !stream || !countText) throw new Error("usage: ordered-write.mjs URL STREAM COUNT");
const count = Number(countText);
const nc = await connect({ servers: url });
const consumer = await nc.jetstream().consumers.get(stream);
const messages = await consumer.consume();
let n = 0;
/** @type {string[]} */
let lines = [];
for await (const m of messages) {
  lines.push(viewLine(m));
  if (++n >= count) break;
  if (messages.getPending() === 0 || lines.length >= 256) {
    writeSync(1, lines.join(""));
    lines = [];
  }
}
writeSync(1, lines.join(""));
await nc.drain();
