#!/usr/bin/env node
// The fastest baseline for `tweetstream publish --file`: what the client can do at best
// with the same guarantees. Each line is a plain `nc.publish(subject, data, { reply,
// headers })` to one shared ack inbox, with the same Nats-Msg-Id and Nats-Expected-Stream
// headers; up to WINDOW acks awaited at once (a new publish as soon as one is answered,
// not window by window); every ack parsed and checked (an error or a missing ack fails
// the run). No validation, no progress, no retries.
// Usage: node publish-raw.mjs <url> <stream> <file.ndjson> [window]

import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { connect, headers } from "nats";
import { msgID } from "./msg-id.mjs";

const [url, stream, file, windowArg] = process.argv.slice(2);
if (!url || !stream || !file)
  throw new Error("usage: publish-raw.mjs <url> <stream> <file> [window]");
const window = Number(windowArg ?? 256);

const nc = await connect({ servers: url });
const enc = new TextEncoder();
const dec = new TextDecoder();
const inbox = `_INBOX.${randomBytes(11).toString("hex")}.`;
let inFlight = 0;
let acked = 0;
/** @type {Error | undefined} */
let failure;
/** @type {(() => void) | undefined} */
let wake;
const settled = () => {
  inFlight--;
  const w = wake;
  wake = undefined;
  w?.();
};
nc.subscribe(`${inbox}*`, {
  callback: (err, m) => {
    if (err) failure ??= err;
    else if (m.headers?.code === 503) failure ??= new Error("no responders");
    else {
      const ack = JSON.parse(dec.decode(m.data));
      if (ack.error || !ack.stream) failure ??= new Error(JSON.stringify(ack));
      else acked++;
    }
    settled();
  },
});
let next = 0;
// lines read a chunk at a time (readline's async iterator costs more than the publish)
let rest = "";
read: for await (const chunk of createReadStream(file, { encoding: "utf8" })) {
  const lines = (rest + chunk).split("\n");
  rest = lines.pop() ?? "";
  for (const line of lines) {
    if (line === "") continue;
    const event = JSON.parse(line);
    while (inFlight >= window) await new Promise((r) => (wake = () => r(undefined)));
    if (failure) break read;
    inFlight++;
    const h = headers();
    h.set("Nats-Msg-Id", msgID(event));
    h.set("Nats-Expected-Stream", stream);
    nc.publish(`${stream}.${event.messageType}`, enc.encode(line), {
      reply: inbox + ++next,
      headers: h,
    });
  }
}
if (rest.trim() !== "") throw new Error("the file does not end with a newline");
// every ack awaited (a lost one would hang: the bench's timeout fails the run)
while (inFlight > 0 && !failure) await new Promise((r) => (wake = () => r(undefined)));
await nc.drain();
if (failure) throw failure;
console.log(JSON.stringify({ acked }));
