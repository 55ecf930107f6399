// Runs the built CLI (bin/tweetstream.js) as a child process, the way users and
// scripts do: no TTY, a clean environment, a hard deadline so nothing hangs a test.

import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { publishEvents } from "./fixtures.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/tweetstream.js", import.meta.url));

/** Makes `binDir/tweetstream` run the built CLI, as after a global install (for PATH). */
export function installOnPath(binDir: string): void {
  mkdirSync(binDir, { recursive: true });
  writeFileSync(
    join(binDir, "tweetstream"),
    `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`,
  );
  chmodSync(join(binDir, "tweetstream"), 0o755);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document */
  json<T = any>(): T;
  /** stdout parsed as NDJSON */
  lines<T = any>(): T[];
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Environment variables that would leak the developer's setup into a test. */
const SCRUB = /^(NATS_|TWEETSTREAM_|FORCE_COLOR$|NO_COLOR$)/;

/**
 * Where the CLI looks for natscli contexts (XDG_CONFIG_HOME/nats): an empty directory,
 * so no test reads the developer's ~/.config/nats. Tests of contexts pass their own.
 */
export const NO_CONFIG_HOME = join(tmpdir(), "tweetstream-test-no-config");

export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { XDG_CONFIG_HOME: NO_CONFIG_HOME };
  for (const [k, v] of Object.entries(process.env)) {
    if (!SCRUB.test(k) && k !== "XDG_CONFIG_HOME") env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    env: cleanEnv(opts.env),
    input: opts.input,
    timeoutMs: opts.timeoutMs,
    name: `tweetstream ${args.join(" ")}`,
  });
}

/** Runs any program to its end with a hard deadline (runCli, the Go fixtures). */
export function runProcess(
  file: string,
  args: string[],
  opts: {
    env: NodeJS.ProcessEnv;
    input?: string | Buffer;
    timeoutMs?: number;
    name?: string;
    cwd?: string;
  },
): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${opts.name ?? file} did not exit within ${timeoutMs}ms\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        json: () => JSON.parse(stdout),
        lines: () =>
          stdout
            .split("\n")
            .filter((l) => l.length > 0)
            .map((l) => JSON.parse(l)),
      });
    });
    child.stdin.on("error", () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** A unique, valid stream name for one test. */
export function uniqueStream(prefix = "T"): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toUpperCase();
}

/**
 * Lets `ms` pass: for what a test holds for a set time (an outage, a pause, a slow answer)
 * or a probe's cadence, never to wait for something to happen (that is waitFor).
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

export interface CliAgainst {
  /** the CLI with NATS_URL set to the server (an explicit env entry wins) */
  ts(args: string[], opts?: RunOptions): Promise<CliResult>;
  /** `stream add` of a new, uniquely named stream (exit 0 checked); its name */
  newStream(extra?: string[], prefix?: string): Promise<string>;
  /** a new stream holding `events` fixture events (test/helpers/fixtures.ts); its name */
  streamWithEvents(events: number, prefix?: string): Promise<string>;
}

/**
 * The CLI against one server (or cluster), for a test file: `url` is read at each call (the
 * server starts in beforeAll), `env` added to every run (a user). One `ts` and one
 * `newStream` for every file.
 */
export function cliAgainst(
  url: () => string,
  env: Record<string, string | undefined> = {},
): CliAgainst {
  const ts = (args: string[], opts: RunOptions = {}) =>
    runCli(args, { ...opts, env: { NATS_URL: url(), ...env, ...opts.env } });
  const newStream = async (extra: string[] = [], prefix = "T") => {
    const name = uniqueStream(prefix);
    const r = await ts(["stream", "add", name, ...extra]);
    if (r.code !== 0) throw new Error(`stream add ${name} exited ${r.code}: ${r.stderr}`);
    return name;
  };
  return {
    ts,
    newStream,
    async streamWithEvents(events, prefix = "T") {
      const name = await newStream([], prefix);
      if (events > 0) await publishEvents(url(), name, events);
      return name;
    },
  };
}
