#!/usr/bin/env node
// Baseline for the serve benchmark: the least an HTTP front of JetStream can do with
// node's http module and nats.js directly. POST /tweets publishes a tweet_created
// event and answers 201 after the ack; GET /tweets answers the newest 50 from an
// in-memory array. No validation limits, no projection, no SSE, no shutdown handling.
// Usage: node serve-baseline.mjs <nats-url> <stream>; prints {"url": …} once listening.

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { connect } from "nats";

const [natsUrl = "nats://127.0.0.1:4222", stream = "TWITTERCLONE"] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl });
const js = nc.jetstream();
/** @type {Array<Record<string, unknown>>} */
const tweets = [];

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url?.startsWith("/tweets")) {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ tweets: tweets.slice(-50).reverse() }));
    return;
  }
  if (req.method === "POST" && req.url === "/tweets") {
    const chunks = /** @type {Buffer[]} */ ([]);
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      try {
        const { message, author } = JSON.parse(Buffer.concat(chunks).toString());
        const event = {
          messageType: "tweet_created",
          id: randomUUID(),
          message,
          date: new Date().toISOString(),
          author,
        };
        const ack = await js.publish(`${stream}.tweet_created`, JSON.stringify(event), {
          msgID: event.id,
        });
        tweets.push({ ...event, seq: ack.seq });
        res.writeHead(201, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ ...event, seq: ack.seq }));
      } catch {
        res.writeHead(503).end();
      }
    });
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, "127.0.0.1", () => {
  const addr = /** @type {import("node:net").AddressInfo} */ (server.address());
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${addr.port}` }) + "\n");
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  void nc.drain().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
