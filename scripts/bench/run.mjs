#!/usr/bin/env node
// npm run bench: starts a throwaway local nats-server (127.0.0.1, ephemeral port,
// temp store) and runs every scripts/bench/*.bench.mjs against it in one process run,
// each printing tweetstream's figures beside a minimal nats.js baseline measured in
// the same run. Pass names to run only some: `npm run bench -- publish`.
//
// Adding a benchmark needs no edit here: drop a file scripts/bench/<anything>.bench.mjs
// that exports `name` and `run(ctx)`, where ctx is
//   { server, url, cli(args, opts), timed(cmd, args, opts), report(rows, title?),
//     nodes, alternate(cases, runs), startServer }
// (see below). Each file gets a fresh nats-server. Every table it reports is printed and
// also written, as Markdown, to bench-results/latest.md: the README's performance table
// is copied from one full run of that file.

import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findServerBinary, serverVersion, startServer } from "../lib/nats-server.mjs";
import { alternate, nodes } from "./measure.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));

/**
 * Runs the built CLI; resolves with exit code, wall time (ms), and with measureMemory
 * peak RSS (KiB) and CPU time (user + system, ms) from /usr/bin/time when available,
 * else null.
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
 * @returns {Promise<{ code: number | null, ms: number, stdout: string, stderr: string, maxRssKiB: number | null, cpuMs: number | null }>}
 */
export async function timed(cmd, args, opts = {}) {
  const { openSync, closeSync, existsSync } = await import("node:fs");
  const useTime = Boolean(opts.measureMemory) && existsSync("/usr/bin/time");
  const argv = useTime
    ? ["/usr/bin/time", "-f", "MAXRSS=%M CPU=%U+%S", cmd, ...args]
    : [cmd, ...args];
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
  const rss = /MAXRSS=(\d+) CPU=([\d.]+)\+([\d.]+)/.exec(stderr);
  return {
    code,
    ms,
    stdout,
    stderr: stderr.replace(/MAXRSS=\d+ CPU=\S+\n?/, ""),
    maxRssKiB: rss ? Number(rss[1]) : null,
    cpuMs: rss ? (Number(rss[2]) + Number(rss[3])) * 1000 : null,
  };
}

/** @type {Array<{ bench: string, title: string, rows: Array<Record<string, string | number>> }>} */
const tables = [];

/** @param {Array<Record<string, string | number>>} rows */
function markdown(rows) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const line = (/** @type {unknown[]} */ cells) => `| ${cells.join(" | ")} |`;
  return [
    line(keys),
    line(keys.map(() => "---")),
    ...rows.map((r) => line(keys.map((k) => r[k] ?? ""))),
  ].join("\n");
}

/** @param {string} header */
function writeMarkdown(header) {
  const dir = fileURLToPath(new URL("../../bench-results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const body = tables.map(
    (t) => `### ${t.bench}${t.title ? `: ${t.title}` : ""}\n\n${markdown(t.rows)}\n`,
  );
  writeFileSync(`${dir}latest.md`, `${header}\n\n${body.join("\n")}`);
  return `${dir}latest.md`;
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
  const header = `node ${nodes()
    .map((n) => n.version)
    .join(" and ")}, nats-server ${serverVersion(bin)}, ${new Date().toISOString()}`;
  console.log(header);
  let failed = false;
  for (const file of files) {
    const mod = await import(new URL(file, import.meta.url).href);
    if (only.length > 0 && !only.includes(mod.name)) continue;
    const server = await startServer();
    try {
      console.log(`\n== ${mod.name} ==`);
      /** @type {(rows: Array<Record<string, string | number>>, title?: string) => void} */
      const report = (rows, title = "") => {
        if (title) console.log(title);
        console.table(rows);
        tables.push({ bench: mod.name, title, rows });
      };
      await mod.run({ server, url: server.url, cli, timed, report, nodes, alternate, startServer });
    } catch (err) {
      failed = true;
      console.error(`bench ${mod.name} failed:`, err);
    } finally {
      await server.stop();
    }
  }
  if (tables.length > 0) console.log(`\nMarkdown: ${writeMarkdown(header)}`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
