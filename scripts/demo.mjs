#!/usr/bin/env node
// The article's workflow, step by step, against a throwaway local JetStream server
// (127.0.0.1, ephemeral port, temp store) that is stopped at the end whatever happens.
// Each step runs the built CLI as a user would and shows its command and output.
// `--cluster`: a throwaway local 3-node cluster instead, an R3 stream, and the node that
// leads the stream killed (kill -9) in the middle, then restarted.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { clusterSteps, KILL, RESTART, shellQuote, STEPS } from "./lib/demo-steps.mjs";
import { startCluster } from "./lib/nats-cluster.mjs";
import { serverVersion, startServer } from "./lib/nats-server.mjs";

const BIN = fileURLToPath(new URL("../bin/tweetstream.js", import.meta.url));

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
      ? `demo: a 3-node nats-server ${serverVersion()} cluster with JetStream on\n` +
          `${url
            .split(",")
            .map((u) => `demo:   ${u}\n`)
            .join("")}`
      : `demo: nats-server ${serverVersion()} with JetStream on ${url}\n` +
          `demo: its temporary store is ${server?.storeDir}\n`,
  );
  /** @type {import("./lib/demo-steps.mjs").Saved} */
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
