// Pauses a process (SIGSTOP) and waits until it is really stopped. kill() returns as soon
// as the signal is queued: the kernel wakes one thread to take it, and only that thread
// stops the others. Until it has run, the other threads of a multi-threaded process
// (nats-server's Go runtime, node's) keep working: a server "paused" this way was seen
// answering an ack a millisecond later on a loaded machine. Linux: read from /proc.

import { readdirSync, readFileSync } from "node:fs";
import { waitFor } from "./cli.js";

/** The state letter of each thread of `pid` (T = stopped); none when it has exited. */
function threadStates(pid: number): string[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const states: string[] = [];
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
      // "pid (comm) S …": the name may hold spaces or parentheses
      states.push(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
    } catch {
      // the thread ended meanwhile
    }
  }
  return states;
}

/** SIGSTOP, then waits until every thread of the process is stopped. */
export async function pauseProcess(pid: number, timeoutMs = 5_000): Promise<void> {
  process.kill(pid, "SIGSTOP");
  await waitFor(
    () => {
      const states = threadStates(pid);
      if (states.length === 0) throw new Error(`process ${pid} is not running`);
      return states.every((s) => s === "T");
    },
    timeoutMs,
    `process ${pid} to stop`,
  );
}
