#!/usr/bin/env node
// The article's workflow, step by step, against a throwaway local JetStream server
// (127.0.0.1, ephemeral port, temp store) that is stopped at the end whatever happens.
// Each step runs the built CLI as a user would and shows its command and output.
// `--cluster`: a throwaway local 3-node cluster instead, an R3 stream, and the node that
// leads the stream killed (kill -9) in the middle, then restarted.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startCluster } from "./lib/nats-cluster.mjs";
import { serverVersion, startServer } from "./lib/nats-server.mjs";

const BIN = fileURLToPath(new URL("../bin/tweetstream.js", import.meta.url));

/**
 * @typedef {Record<string, any>} Saved the --json output of earlier steps, by name
 * @typedef {[string, string[] | ((saved: Saved) => string[]), { save?: string }?]} Step
 * The workflow: [description, tweetstream arguments (or a function of earlier results),
 * options]; `save` keeps a step's --json output for later steps.
 * @type {Step[]}
 */
const STEPS = [
  ["create the article's stream TWITTERCLONE (subjects TWITTERCLONE.*)", ["stream", "add"]],
  ["running it again is safe: it says the stream exists", ["stream", "add"]],
  [
    "tweet, as the article's POST /tweets does (--json: the demo keeps its id)",
    ["tweet", "hello world !", "--author", "ziggornif", "--json"],
    { save: "tweet" },
  ],
  [
    "like that tweet, as POST /tweets/:id/likes does",
    (saved) => ["like", saved.tweet.event.id, "--author", "alice"],
  ],
  ["list the streams, like `nats stream ls`", ["stream", "ls"]],
  [
    "the stored likes, like `nats stream view` (never pages, works in a pipe)",
    ["view", "--subject", "tweet_liked"],
  ],
  [
    "process events like the article's durable subscriber: print, then ack",
    ["listen", "--durable", "demo", "--count", "2", "--timeout", "10s"],
  ],
  ["load generation: 1000 tweets, pipelined", ["tweet", "load test {{n}}", "--count", "1000"]],
  [
    "the durable resumes after its last acknowledged event: the load test",
    ["listen", "--durable", "demo", "--count", "3", "--timeout", "10s"],
  ],
  ["show the stream's configuration and state", ["stream", "info"]],
];

const KILL = ["(kill the stream leader)"];
const RESTART = ["(restart the killed node)"];

/**
 * The workflow on a cluster: the stream with 3 replicas; the stream leader's node killed
 * before the load generation (which rides out the election), restarted before the end.
 * @param {Step[]} steps
 * @returns {Step[]}
 */
function clusterSteps(steps) {
  /** @type {Step[]} */
  const out = [];
  for (const step of steps) {
    const [what, args] = step;
    if (Array.isArray(args) && args[0] === "stream" && args[1] === "add") {
      out.push([`${what}, replicated on the 3 nodes`, [...args, "--replicas", "3"]]);
      continue;
    }
    if (Array.isArray(args) && args[0] === "tweet" && args.includes("--count")) {
      out.push(["kill -9 the node that leads the stream: an election follows (5-7 s)", KILL]);
      out.push([`${what}, through the election`, args]);
      out.push(["the stream's cluster state: a replica is down", ["stream", "info"]]);
      continue;
    }
    if (Array.isArray(args) && args[0] === "stream" && args[1] === "info") {
      out.push(["restart the killed node: it catches up", RESTART]);
    }
    out.push(step);
  }
  return out;
}

/**
 * Runs one step; its stdout is shown (and returned when `save`).
 * @param {string[]} args
 * @param {string} url
 * @param {boolean} save
 * @returns {Promise<{ code: number | null, stdout: string }>}
 */
function run(args, url, save) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NATS_URL: url },
      // stdout is the terminal itself unless the demo needs the output, so that the CLI
      // fits its output to the terminal's width as it does for a user
      stdio: ["ignore", save ? "pipe" : "inherit", "inherit"],
    });
    let stdout = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
      process.stdout.write(d);
    });
    child.on("close", (code) => resolve({ code, stdout }));
  });
}

/** @param {string} arg */
function shellQuote(arg) {
  return /^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

const onCluster = process.argv.includes("--cluster");
const server = onCluster ? undefined : await startServer();
const cluster = onCluster ? await startCluster() : undefined;
const url = cluster?.servers ?? server?.url ?? "";
let failed = false;
/** @type {string | undefined} */
let killed;
try {
  console.log(
    cluster
      ? `demo: a 3-node nats-server ${serverVersion()} cluster with JetStream on ${url}\n`
      : `demo: nats-server ${serverVersion()} with JetStream on ${url}\n` +
          `demo: its temporary store is ${server?.storeDir}\n`,
  );
  /** @type {Saved} */
  const saved = {};
  for (const [what, argsOf, opts] of cluster ? clusterSteps(STEPS) : STEPS) {
    if (cluster && (argsOf === KILL || argsOf === RESTART)) {
      console.log(`# ${what}`);
      if (argsOf === KILL) {
        killed = await cluster.streamLeader("TWITTERCLONE");
        console.log(`$ kill -9 ${cluster.node(killed).pid}   # ${killed}\n`);
        await cluster.kill(killed);
      } else if (killed) {
        console.log(`$ nats-server …   # ${killed} again, same store\n`);
        await cluster.restart(killed);
        await cluster.waitStreamCurrent("TWITTERCLONE");
      }
      continue;
    }
    const args = typeof argsOf === "function" ? argsOf(saved) : argsOf;
    console.log(`# ${what}\n$ tweetstream ${args.map(shellQuote).join(" ")}`);
    const { code, stdout } = await run(args, url, Boolean(opts?.save));
    if (opts?.save && code === 0) saved[opts.save] = JSON.parse(stdout);
    console.log("");
    if (code !== 0) {
      console.error(`demo: step failed with exit code ${code}`);
      failed = true;
      break;
    }
  }
} finally {
  await server?.stop();
  await cluster?.stop();
  console.log(cluster ? "demo: cluster stopped" : "demo: server stopped");
}
process.exitCode = failed ? 1 : 0;
