// Whether stdout's reader is still there. `tweetstream … | head -1` closes the pipe
// early: the EPIPE that follows must end the command quietly, not crash it. Installed
// by main() before anything is written (help text included), and kept free of heavy imports.

let stdoutClosed = false;
let installed = false;
const closeListeners = new Set<() => void>();

/** True once stdout's reader went away (EPIPE): commands should stop quietly. */
export function isStdoutClosed(): boolean {
  return stdoutClosed;
}

/** Called once when stdout's reader goes away. */
export function onStdoutClosed(listener: () => void): () => void {
  closeListeners.add(listener);
  return () => closeListeners.delete(listener);
}

export function guardStdout(): void {
  if (installed) return;
  installed = true;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") {
      stdoutClosed = true;
      for (const listener of closeListeners) listener();
      return;
    }
    throw err;
  });
}
