#!/usr/bin/env node
// The fastest baseline for `listen --durable --json > file`: a durable pull consumer read
// with consume() tuned to listen's window (pulls of up to 256 messages, a new pull when
// half is used, so one is always outstanding), writing the same JSON lines as listen
// (event-lines.mjs) to stdout one burst at a time, each message acknowledged once its
// burst is written (plain acks, not confirmed). Stops after `count` messages.
// Usage: consume-write.mjs URL STREAM COUNT > file

import { writeSync } from "node:fs";
import { AckPolicy, connect } from "nats";
import { listenLine } from "./event-lines.mjs";

const [url, stream, countText] = process.argv.slice(2);
if (!url || !stream || !countText) throw new Error("usage: consume-write.mjs URL STREAM COUNT");
const count = Number(countText);
const nc = await connect({ servers: url });
const jsm = await nc.jetstreamManager();
const durable = "baseline-write";
// a fresh durable: from the start of the stream
await jsm.consumers.delete(stream, durable).catch(() => undefined);
await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit });
const consumer = await nc.jetstream().consumers.get(stream, durable);
const messages = await consumer.consume({ max_messages: 256, threshold_messages: 128 });

let n = 0;
/** @type {import("nats").JsMsg[]} */
let held = [];
/** @type {string[]} */
let lines = [];
const flush = () => {
  if (held.length === 0) return;
  writeSync(1, lines.join(""));
  for (const m of held) m.ack();
  held = [];
  lines = [];
};
for await (const m of messages) {
  lines.push(listenLine(m, durable));
  held.push(m);
  // a burst is what has arrived: written when nothing more is waiting, or at 256
  if (messages.getPending() === 0 || held.length >= 256) flush();
  if (++n >= count) break;
}
flush();
await nc.drain();
