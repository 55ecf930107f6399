// A CLI process left running while a test does something else (kills a node, cuts a link):
// its output so far and its exit; every one still running is killed by killAll() after a
// test, so a failed scenario leaves no orphan.

import { spawn, type ChildProcess } from "node:child_process";
import { BIN, cleanEnv } from "./cli.js";

export interface Running {
  stdout(): string;
  stderr(): string;
  pid: number;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

/** `slowMs`: stdout read slowly (a reader that keeps up badly); killed after `hardMs`. */
export function startCli(
  args: string[],
  opts: { url: string; slowMs?: number; hardMs?: number },
): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cleanEnv({ NATS_URL: opts.url }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    if (opts.slowMs) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), opts.slowMs);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  // a hard deadline: nothing may hang the suite
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.hardMs ?? 110_000);
  void exited.then(() => clearTimeout(timer));
  return { stdout: () => out, stderr: () => err, pid: child.pid!, exited };
}

/** SIGKILL every CLI process startCli started that is still running. */
export function killAll(): void {
  for (const child of children) child.kill("SIGKILL");
}
