#!/usr/bin/env node
// The article's workflow, step by step, against a throwaway local JetStream server
// (127.0.0.1, ephemeral port, temp store) that is stopped at the end whatever happens.
// Each step runs the built CLI as a user would and shows its command and output.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { serverVersion, startServer } from "./lib/nats-server.mjs";

const BIN = fileURLToPath(new URL("../bin/tweetstream.js", import.meta.url));

/** The workflow: [description, tweetstream arguments]. @type {Array<[string, string[]]>} */
const STEPS = [
  ["create the article's stream TWITTERCLONE (subjects TWITTERCLONE.*)", ["stream", "add"]],
  ["running it again is safe: it says the stream exists", ["stream", "add"]],
  ["list the streams, like `nats stream ls`", ["stream", "ls"]],
  ["show the stream's configuration and state", ["stream", "info"]],
  [
    "show the stored likes, like `nats stream view --subject` (never pages, works in a pipe)",
    ["view", "--subject", "tweet_liked"],
  ],
  [
    "process events like the article's durable subscriber: print each, then acknowledge it",
    ["listen", "--durable", "demo", "--count", "2", "--timeout", "10s"],
  ],
  [
    "run it again: the durable resumes after the last acknowledged event",
    ["listen", "--durable", "demo", "--count", "1", "--timeout", "10s"],
  ],
];

/**
 * @param {string[]} args
 * @param {string} url
 * @returns {Promise<number | null>}
 */
function run(args, url) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NATS_URL: url },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("close", resolve);
  });
}

const server = await startServer();
let failed = false;
try {
  console.log(
    `demo: nats-server ${serverVersion()} with JetStream on ${server.url} (store ${server.storeDir})\n`,
  );
  for (const [what, args] of STEPS) {
    console.log(`# ${what}\n$ tweetstream ${args.join(" ")}`);
    const code = await run(args, server.url);
    console.log("");
    if (code !== 0) {
      console.error(`demo: step failed with exit code ${code}`);
      failed = true;
      break;
    }
  }
} finally {
  await server.stop();
  console.log("demo: server stopped");
}
process.exitCode = failed ? 1 : 0;
