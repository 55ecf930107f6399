#!/usr/bin/env node
// Baseline for `tweetstream publish --file`: the least a nats.js program must do to load
// the same NDJSON file with the same guarantees: every line published to
// <STREAM>.<messageType> with the same Nats-Msg-Id, every ack awaited, at most WINDOW
// unacknowledged at once. No validation, no progress, no retries.
// Usage: node publish-pipelined.mjs <url> <stream> <file.ndjson> [window]

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { connect } from "nats";
import { msgID } from "./msg-id.mjs";

const [url, stream, file, windowArg] = process.argv.slice(2);
if (!url || !stream || !file)
  throw new Error("usage: publish-pipelined.mjs <url> <stream> <file> [window]");
const window = Number(windowArg ?? 256);

const nc = await connect({ servers: url });
const js = nc.jetstream();
const enc = new TextEncoder();
let inFlight = 0;
/** @type {(() => void) | undefined} */
let wake;
let acked = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  if (line === "") continue;
  const event = JSON.parse(line);
  while (inFlight >= window) await new Promise((r) => (wake = () => r(undefined)));
  inFlight++;
  js.publish(`${stream}.${event.messageType}`, enc.encode(line), { msgID: msgID(event) })
    .then(() => acked++)
    .finally(() => {
      inFlight--;
      wake?.();
    });
}
while (inFlight > 0) await new Promise((r) => (wake = () => r(undefined)));
await nc.drain();
console.log(JSON.stringify({ acked }));
