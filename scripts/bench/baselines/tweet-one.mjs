#!/usr/bin/env node
// Baseline for one `tweetstream tweet`: the least a nats.js script does to publish one
// tweet_created event and know it is stored: connect, publish with its Nats-Msg-Id,
// await the JetStream ack, drain, exit.
// Usage: node tweet-one.mjs <url> <stream> <message>

import { randomUUID } from "node:crypto";
import { connect } from "nats";

const [url, stream, message] = process.argv.slice(2);
if (!url || !stream) throw new Error("usage: tweet-one.mjs <url> <stream> <message>");
const nc = await connect({ servers: url });
const id = randomUUID();
const event = {
  messageType: "tweet_created",
  id,
  message,
  date: new Date().toISOString(),
  author: "bench",
};
const ack = await nc
  .jetstream()
  .publish(`${stream}.tweet_created`, JSON.stringify(event), { msgID: id });
await nc.drain();
console.log(`${id} ${ack.seq}`);
