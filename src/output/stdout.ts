// Whether stdout's and stderr's readers are still there. `tweetstream … | head -1`
// closes the pipe early: the EPIPE that follows must end the command quietly, not crash
// it. A closed stderr (`2>&1 | head -2`, a log reader that went away) only loses the
// notes: the work goes on, stdout still gets its result and the exit code is unchanged.
// Installed by main() before anything is written (help text included), and kept free of
// heavy imports.

let stdoutClosed = false;
let stderrClosed = false;
let installed = false;
const closeListeners = new Set<() => void>();

/** True once stdout's reader went away (EPIPE): commands should stop quietly. */
export function isStdoutClosed(): boolean {
  return stdoutClosed;
}

/** True once stderr's reader went away: notes are dropped, nothing else changes. */
export function isStderrClosed(): boolean {
  return stderrClosed;
}

/** Called once when stdout's reader goes away. */
export function onStdoutClosed(listener: () => void): () => void {
  closeListeners.add(listener);
  return () => closeListeners.delete(listener);
}

/** The reader went away: the write failed for good, not for a reason to report. */
function isClosedError(err: NodeJS.ErrnoException): boolean {
  return err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED";
}

export function guardStdio(): void {
  if (installed) return;
  installed = true;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (!isClosedError(err)) throw err;
    if (stdoutClosed) return;
    stdoutClosed = true;
    for (const listener of closeListeners) listener();
  });
  // every write to stderr (notes, warnings, the spinner, commander's usage, the final
  // `error:` line) fails the same way once its reader is gone; none of them may crash
  process.stderr.on("error", (err: NodeJS.ErrnoException) => {
    if (!isClosedError(err)) throw err;
    stderrClosed = true;
  });
}
