// `listen --exec CMD`: the worker form of listen. Its options are read here, the pull
// loop is nats/exec-worker.ts, the retry policy worker/policy.ts, the handler process
// worker/handler.ts, the rendering output/worker.ts. Exit 7 when an event was given up.

import { open, type FileHandle } from "node:fs/promises";
import type { Invocation } from "../invocation.js";
import { CliError, ExitCode, usageError } from "../errors.js";
import { createExecWorker } from "../nats/exec-worker.js";
import type { Connection } from "../nats/connection.js";
import { payloadText, readMessage, type StoredMessage } from "../domain/stored-message.js";
import { listenLine } from "../output/events.js";
import { sleep } from "../util/time.js";
import { formatDuration, plural } from "../output/format.js";
import { givenUpText, renderOutcomeLine, summaryText } from "../output/worker.js";
import { parseCount, parseDuration } from "../parse.js";
import { exitCodeForSignal, onStopSignal } from "../signals.js";
import { onStdoutClosed } from "../output/output.js";
import { DEFAULT_BACKOFF, parseBackoff } from "../worker/policy.js";
import type { DeadLetterCount, Outcome, WorkerSummary } from "../worker/records.js";
import { ensureCapture, readDeadLetters } from "../nats/dead-letters.js";
import type { ListenOptions } from "../nats/listen.js";

export interface ExecFlags {
  exec?: string;
  backoff?: string;
  parallel?: string;
  deadLetter?: string;
  grace?: string;
}

export interface ExecRequest {
  command: string;
  backoffMs: number[];
  parallel: number;
  graceMs: number;
  deadLetter?: string;
}

const DEFAULT_GRACE = "10s";

/** The --exec options, or undefined without --exec (its companions alone are a usage error). */
export function execRequest(flags: ExecFlags): ExecRequest | undefined {
  if (flags.exec === undefined) {
    const stray = (["backoff", "parallel", "deadLetter", "grace"] as const).find(
      (k) => flags[k] !== undefined,
    );
    if (stray) {
      const flag = stray === "deadLetter" ? "--dead-letter" : `--${stray}`;
      throw usageError(`${flag} needs --exec CMD`);
    }
    return undefined;
  }
  if (flags.exec.trim() === "") throw usageError("--exec needs a command");
  return {
    command: flags.exec,
    backoffMs: parseBackoff(flags.backoff ?? DEFAULT_BACKOFF),
    parallel: flags.parallel === undefined ? 1 : parseCount(flags.parallel, "--parallel"),
    graceMs: parseDuration(flags.grace ?? DEFAULT_GRACE, "--grace", { zero: true }),
    deadLetter: flags.deadLetter,
  };
}

async function openDeadLetters(path: string | undefined): Promise<FileHandle | undefined> {
  if (path === undefined) return undefined;
  try {
    return await open(path, "a");
  } catch (err) {
    throw usageError(
      `cannot append to --dead-letter ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

/** A dead letter: the outcome and the event (or the raw data when it is not one). */
export function deadLetterRecord(o: Outcome, msg: StoredMessage): Record<string, unknown> {
  const reading = readMessage(msg);
  return reading.event ? { ...o, event: reading.event } : { ...o, data: payloadText(msg) };
}

/**
 * The dead letters of `consumer` captured since `since`, from any client; waits briefly
 * for the advisories of the `own` events this run gave up on to be stored.
 */
async function deadLettersSince(
  conn: Connection,
  stream: string,
  consumer: string,
  since: Date,
  own: number,
): Promise<DeadLetterCount | undefined> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const r = await readDeadLetters(conn, stream, { consumer, since }).catch(() => undefined);
    if (!r?.captured) return undefined;
    if (r.count >= own || Date.now() >= deadline) {
      return { count: r.count, latest: r.latest.map((d) => d.stream_seq) };
    }
    await sleep(100);
  }
}

export async function runListenExec(
  inv: Invocation,
  conn: Connection,
  /** listen's request (commands/listen.ts listenRequest) */
  req: Omit<ListenOptions, "stream">,
  exec: ExecRequest,
): Promise<void> {
  const { out } = inv;
  const deadLetters = await openDeadLetters(exec.deadLetter);
  // the advisories of events given up (by this worker or any other client) are kept, so
  // the summary and consumer info can count them; without the right to, only a warning
  const captured = await ensureCapture(await conn.jsm(), inv.stream).then(
    () => true,
    (err: unknown) => {
      out.warn(
        `dead letters are not captured (${err instanceof Error ? err.message : String(err)})`,
      );
      return false;
    },
  );
  const worker = await createExecWorker(
    conn,
    { stream: inv.stream, ...req, ...exec },
    {
      ready(name, resumed, attempts) {
        const who = req.durable
          ? `durable ${name} (${resumed ? "resuming" : "new"})`
          : "an ephemeral consumer";
        const tries = Number.isFinite(attempts) ? `${attempts} attempts` : "unlimited attempts";
        out.info(
          `Running ${exec.command} for each event on ${req.filter ?? inv.stream} with ${who}, ` +
            `${exec.parallel} at a time, ${tries} (backoff ${exec.backoffMs.map(formatDuration).join(",")}); Ctrl-C to stop`,
        );
      },
      stdin: listenLine,
      async outcome(o, msg) {
        if (o.outcome === "given_up") {
          out.warn(givenUpText(o));
          if (deadLetters)
            await deadLetters.appendFile(JSON.stringify(deadLetterRecord(o, msg)) + "\n");
        }
        if (out.json) await out.printNdjson(o);
        else await out.result(renderOutcomeLine(o, out.color));
      },
      warn: (t) => out.warn(t),
      info: (t) => out.info(t),
    },
  );
  const unsignal = onStopSignal((signal) => worker.stop(signal));
  const unwatch = onStdoutClosed(() => worker.stop("stdout"));
  let result;
  try {
    result = await worker.run();
  } finally {
    unsignal();
    unwatch();
    await deadLetters?.close();
  }
  const summary: WorkerSummary = {
    handled: result.counts.handled,
    retried: result.counts.retry,
    given_up: result.counts.given_up,
    handed_back: result.counts.handed_back,
    given_up_seqs: result.givenUpSeqs,
  };
  if (captured) {
    const dead = await deadLettersSince(
      conn,
      inv.stream,
      result.consumer,
      result.startedAt,
      summary.given_up,
    );
    if (dead) summary.dead_letters = dead;
  }
  if (out.json) await out.printNdjson({ summary });
  else out.info(summaryText(summary, result.consumer));
  if (result.reason === "SIGINT" || result.reason === "SIGTERM") {
    throw new CliError(`stopped by ${result.reason}`, exitCodeForSignal(result.reason), {
      reported: true,
    });
  }
  if (summary.given_up > 0) {
    throw new CliError(
      `gave up on ${plural(summary.given_up, "event")} (terminated after their last attempt)`,
      ExitCode.GaveUp,
    );
  }
  if (result.reason === "idle" && req.count !== undefined && summary.handled < req.count) {
    throw new CliError(
      `no event for ${formatDuration(req.idleMs ?? 0)}: handled ${summary.handled} of ${req.count}`,
      ExitCode.Timeout,
    );
  }
}
