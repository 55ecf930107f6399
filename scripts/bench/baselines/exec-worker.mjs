#!/usr/bin/env node
// Baseline for `listen --exec`: the minimal nats.js durable pull worker that spawns a
// handler (/bin/sh -c CMD, the message on stdin) per message, one at a time, and acks it
// on exit 0, until `count` messages. Usage: exec-worker.mjs URL STREAM COUNT CMD
import { spawn } from "node:child_process";
import { AckPolicy, connect } from "nats";

const [url, stream, countText, command] = process.argv.slice(2);
const count = Number(countText);
const nc = await connect({ servers: url });
const jsm = await nc.jetstreamManager();
await jsm.consumers.add(/** @type {string} */ (stream), {
  durable_name: "baseline-exec",
  ack_policy: AckPolicy.Explicit,
});
const consumer = await nc
  .jetstream()
  .consumers.get(/** @type {string} */ (stream), "baseline-exec");
let n = 0;
while (n < count) {
  const messages = await consumer.fetch({ max_messages: 1, expires: 5_000 });
  for await (const m of messages) {
    const code = await new Promise((resolve) => {
      const child = spawn("/bin/sh", ["-c", /** @type {string} */ (command)], {
        stdio: ["pipe", "ignore", "inherit"],
      });
      child.on("exit", resolve);
      child.stdin.end(m.data);
    });
    if (code === 0) m.ack();
    else m.nak();
    n++;
  }
}
await nc.drain();
