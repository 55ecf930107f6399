#!/usr/bin/env node
// npm run bench: starts a throwaway local nats-server (127.0.0.1, ephemeral port,
// temp store) and runs every scripts/bench/*.bench.mjs against it in one process run,
// each printing tweetstream's figures beside a minimal nats.js baseline measured in
// the same run. Pass names to run only some: `npm run bench -- publish`.
//
// A *.bench.mjs module exports `name` and `run(ctx)`, where ctx is
// { server, url, cli(args, opts), report(rows) } (see below).

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findServerBinary, serverVersion, startServer } from "../lib/nats-server.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));

/**
 * Runs the built CLI; resolves with exit code, wall time (ms) and peak RSS (KiB, from
 * /usr/bin/time when available, else null).
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, input?: string, stdoutFile?: string, measureMemory?: boolean }} [opts]
 */
export function cli(args, opts = {}) {
  return timed(process.execPath, [BIN, ...args], opts);
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, input?: string, stdoutFile?: string, measureMemory?: boolean }} [opts]
 * @returns {Promise<{ code: number | null, ms: number, stdout: string, stderr: string, maxRssKiB: number | null }>}
 */
export async function timed(cmd, args, opts = {}) {
  const { openSync, closeSync, existsSync } = await import("node:fs");
  const useTime = Boolean(opts.measureMemory) && existsSync("/usr/bin/time");
  const argv = useTime ? ["/usr/bin/time", "-f", "MAXRSS=%M", cmd, ...args] : [cmd, ...args];
  const out = opts.stdoutFile ? openSync(opts.stdoutFile, "w") : "pipe";
  const started = process.hrtime.bigint();
  const child = spawn(/** @type {string} */ (argv[0]), argv.slice(1), {
    env: { ...process.env, ...opts.env },
    stdio: ["pipe", out, "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else child.stdin?.end();
  const code = await new Promise((resolve) => child.on("close", resolve));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (typeof out === "number") closeSync(out);
  const rss = /MAXRSS=(\d+)/.exec(stderr);
  return {
    code,
    ms,
    stdout,
    stderr: stderr.replace(/MAXRSS=\d+\n?/, ""),
    maxRssKiB: rss ? Number(rss[1]) : null,
  };
}

/** @param {Array<Record<string, string | number>>} rows */
function report(rows) {
  console.table(rows);
}

async function main() {
  const only = process.argv.slice(2);
  const bin = findServerBinary();
  if (!bin) {
    console.error(
      "bench: nats-server not found (scripts/install-nats-server.sh, or set NATS_SERVER_BIN)",
    );
    process.exit(1);
  }
  const files = readdirSync(here)
    .filter((f) => f.endsWith(".bench.mjs"))
    .sort();
  console.log(
    `node ${process.version}, nats-server ${serverVersion(bin)}, ${new Date().toISOString()}`,
  );
  let failed = false;
  for (const file of files) {
    const mod = await import(new URL(file, import.meta.url).href);
    if (only.length > 0 && !only.includes(mod.name)) continue;
    const server = await startServer();
    try {
      console.log(`\n== ${mod.name} ==`);
      await mod.run({ server, url: server.url, cli, timed, report });
    } catch (err) {
      failed = true;
      console.error(`bench ${mod.name} failed:`, err);
    } finally {
      await server.stop();
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
