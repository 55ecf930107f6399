// Processes left running while a test does something else (kills a node, cuts a link,
// pauses the server, sends a signal): the built CLI (startCli), or a shell pipeline run to
// its end (shellPipeline). Output so far and the exit; every CLI process still running is
// killed by killAll() after a test, so a failed scenario leaves no orphan.

import { spawn, type ChildProcess } from "node:child_process";
import { BIN, cleanEnv } from "./cli.js";

export interface Running {
  stdout(): string;
  stderr(): string;
  pid: number;
  /** the exit code (null when a signal ended it) */
  exited: Promise<number | null>;
  /** true once it has exited */
  done(): boolean;
  /** sends `signal` (SIGTERM by default) */
  kill(signal?: NodeJS.Signals): void;
  /** its stdin, with `stdin: "pipe"` (else null) */
  stdin: ChildProcess["stdin"];
  /** its stdout stream (a test may close it early) */
  stdoutStream: ChildProcess["stdout"];
}

export interface StartOptions {
  /** NATS_URL (none: the environment below decides) */
  url?: string;
  /** more environment, over cleanEnv() */
  env?: Record<string, string | undefined>;
  /** "pipe" to write to its stdin (default: no stdin) */
  stdin?: "pipe" | "ignore";
  /** stdout read slowly (a reader that keeps up badly): a pause this long after each chunk */
  slowMs?: number;
  /** SIGKILLed after this long (default 110 s) */
  hardMs?: number;
}

const children = new Set<ChildProcess>();

/** The built CLI with `args`, running in the background. */
export function startCli(args: string[], opts: StartOptions = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cleanEnv({ ...(opts.url ? { NATS_URL: opts.url } : {}), ...opts.env }),
    stdio: [opts.stdin ?? "ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let out = "";
  let err = "";
  let done = false;
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    if (opts.slowMs) {
      child.stdout!.pause();
      setTimeout(() => child.stdout!.resume(), opts.slowMs);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  child.stdin?.on("error", () => {});
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (c) => {
      done = true;
      resolve(c);
    }),
  );
  // a hard deadline: nothing may hang the suite
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.hardMs ?? 110_000);
  void exited.then(() => clearTimeout(timer));
  return {
    stdout: () => out,
    stderr: () => err,
    pid: child.pid!,
    exited,
    done: () => done,
    kill: (signal = "SIGTERM") => void child.kill(signal),
    stdin: child.stdin,
    stdoutStream: child.stdout,
  };
}

/** SIGKILL every CLI process startCli started that is still running. */
export function killAll(): void {
  for (const child of children) child.kill("SIGKILL");
}

/** The built CLI as a shell command word (for shellPipeline). */
export const CLI_COMMAND = `"${process.execPath}" "${BIN}"`;

/**
 * Runs a bash pipeline (`${CLI_COMMAND} view S --json | head -1`) to its end; `code` is the
 * exit code of its first command (PIPESTATUS[0]), `stderr` the pipeline's without it.
 */
export function shellPipeline(
  script: string,
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `${script}; echo "code=\${PIPESTATUS[0]}" >&2`], {
      env: cleanEnv(env),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      const m = /code=(\d+)\s*$/.exec(stderr);
      if (!m) reject(new Error(`no exit code in: ${stderr}`));
      else resolve({ code: Number(m[1]), stdout, stderr: stderr.slice(0, m.index) });
    });
  });
}
