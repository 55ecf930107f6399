// `listen`: process events durably, the way the article's durable subscriber does —
// write each event out, then acknowledge it; resume after the last acknowledged one.
// Its --timeout is an idle timeout (the connection timeout then comes from NATS_TIMEOUT
// or `tweetstream --timeout 5s listen …`). SIGINT/SIGTERM stop it cleanly (see README).

import { Command, Option } from "commander";
import { fstatSync } from "node:fs";
import { invocationOf } from "../invocation.js";
import { CliError, ExitCode } from "../errors.js";
import { checkSubjectInStream, resolveSubjectOption } from "../subjects.js";
import { getStream } from "../nats/streams.js";
import { addLeafOptions } from "../global-options.js";
import { createListener, DEFAULT_DURABLE, type ListenOptions } from "../nats/listen.js";
import type { Output } from "../output/output.js";
import { onStdoutClosed } from "../output/output.js";
import {
  listenLine,
  readMessage,
  renderEventLine,
  renderMalformedLine,
  type StoredMessage,
} from "../output/events.js";
import { fitting, formatDuration, plural } from "../output/format.js";
import { parseCount, parseDeliver, parseDuration, validateConsumerName } from "../parse.js";
import { exitCodeForSignal, onStopSignal } from "../signals.js";
import { examples } from "./help.js";
import { execRequest, runListenExec, type ExecFlags } from "./listen-exec.js";

interface ListenFlags extends ExecFlags {
  subject?: string;
  durable?: string | true;
  deliver?: string;
  ackWait?: string;
  maxDeliver?: string;
  count?: string;
  timeout?: string;
}

export type ListenRequest = Omit<ListenOptions, "stream">;

export function listenRequest(
  stream: string,
  flags: ListenFlags,
  defaultDurable: string,
): ListenRequest {
  const req: ListenRequest = {};
  if (flags.subject !== undefined) req.filter = resolveSubjectOption(stream, flags.subject);
  if (flags.durable !== undefined) {
    const name = flags.durable === true ? defaultDurable : flags.durable.trim();
    req.durable = validateConsumerName(name, "--durable name");
  }
  if (flags.deliver !== undefined) req.deliver = parseDeliver(flags.deliver);
  if (flags.ackWait !== undefined) {
    req.ackWaitMs = parseDuration(flags.ackWait, "--ack-wait");
    if (req.ackWaitMs < 1000) throw new CliError("--ack-wait must be at least 1s", ExitCode.Usage);
  }
  if (flags.maxDeliver !== undefined) {
    const text = flags.maxDeliver.trim().toLowerCase();
    req.maxDeliver = text === "-1" || text === "unlimited" ? -1 : parseCount(text, "--max-deliver");
  }
  if (flags.count !== undefined) req.count = parseCount(flags.count, "--count");
  if (flags.timeout !== undefined) {
    req.idleMs = parseDuration(flags.timeout, "--timeout");
    if (req.idleMs <= 0) throw new CliError("--timeout must be more than 0", ExitCode.Usage);
  }
  return req;
}

/** ", until 3 events", ", until no event for 30s", both joined by "or", or nothing. */
function untilText(req: Pick<ListenRequest, "count" | "idleMs">): string {
  const ends = [
    ...(req.count !== undefined ? [plural(req.count, "event")] : []),
    ...(req.idleMs !== undefined ? [`no event for ${formatDuration(req.idleMs)}`] : []),
  ];
  return ends.length > 0 ? `, until ${ends.join(" or ")}` : "";
}

/**
 * "Listening on stream S with durable d (new), until 3 events or no event for 30s; Ctrl-C
 * to stop", in the most detailed form that fits the terminal on stderr (in full when it is
 * not one).
 */
export function listeningLine(
  stream: string,
  req: Pick<ListenRequest, "filter" | "durable" | "count" | "idleMs">,
  name: string,
  resumed: boolean,
  width: number | undefined,
): string {
  const on = req.filter ?? `stream ${stream}`;
  const until = untilText(req);
  const state = resumed ? "resuming after its last acknowledged event" : "new";
  const full = req.durable
    ? `Listening on ${on} with durable ${name} (${state})`
    : `Listening on ${on} with an ephemeral consumer`;
  const short = req.durable
    ? `Listening on ${req.filter ?? stream}, durable ${name} (${resumed ? "resuming" : "new"})`
    : `Listening on ${req.filter ?? stream}, ephemeral consumer`;
  return fitting(
    width,
    `${full}${until}; Ctrl-C to stop`,
    `${short}${until}; Ctrl-C to stop`,
    `${short}${until}`,
    short,
  );
}

/**
 * stdout is a pipe or a socket: a reader that may stop early (`| head -1`), so what is
 * written (handed over) starts small. A terminal shows it; a file or a device keeps it all.
 */
function stdoutMayStopEarly(): boolean {
  try {
    const st = fstatSync(1);
    return st.isFIFO() || st.isSocket();
  } catch {
    return true;
  }
}

/** One message as the output mode wants it; warns about malformed payloads. */
function messageRenderer(out: Output, consumer: () => string) {
  return (msg: StoredMessage): string => {
    const reading = readMessage(msg);
    if (!reading.event) {
      out.warn(
        `message ${msg.seq} on ${msg.subject} is not an event (${reading.problem}); written raw and acknowledged`,
      );
    }
    const text = out.json
      ? listenLine(msg, consumer(), reading)
      : reading.event
        ? renderEventLine(msg, reading.event, out.color, out.width)
        : renderMalformedLine(msg, out.color, out.width);
    return text + "\n";
  };
}

export const listenCommand = addLeafOptions(
  new Command("listen")
    .description(
      "process events: print each one, then acknowledge it (pull consumer, explicit acks); with --durable, resume where the last run stopped",
    )
    .option(
      "--subject <subject>",
      "only this subject: full, wildcard, or tweet_created / tweet_liked (default: the whole stream, <STREAM>.*)",
    )
    .option(
      "--durable [name]",
      `durable consumer: the next run resumes after the last acknowledged event (name default: ${DEFAULT_DURABLE})`,
    )
    .option(
      "--deliver <policy>",
      "where a new consumer starts: all (default), new, last, a stream sequence, or a time (RFC 3339 or 10m ago)",
    )
    .option(
      "--ack-wait <duration>",
      "redeliver an event not acknowledged within this time (server default 30s)",
    )
    .option("--max-deliver <n>", "deliver an event at most n times (default unlimited)")
    .option("-n, --count <n>", "exit 0 after n events")
    .addOption(
      new Option(
        "--timeout <duration>",
        "idle timeout: end when no event arrived for this long (exit 6 if --count was not reached, else 0)",
      ),
    )
    .option("--exec <cmd>", "run CMD (by /bin/sh -c) per event, event JSON on stdin; see docs")
    .option("--backoff <list>", "--exec: delays before retries, the last repeats (1s,5s,30s)")
    .option("--parallel <n>", "--exec: handlers at once (default 1: one at a time)")
    .option("--dead-letter <file>", "--exec: append events given up to FILE (NDJSON)")
    .option("--grace <duration>", "--exec: on a stop, wait this long for handlers (10s)")
    .addHelpText(
      "after",
      examples(
        "tweetstream listen",
        "tweetstream listen --durable worker --subject tweet_liked",
        "tweetstream listen --durable ci --count 1 --timeout 30s --json",
        "tweetstream --timeout 10s listen --deliver new  # connection timeout 10s",
        "tweetstream listen --durable w --exec ./handle.sh --dead-letter dead.ndjson",
      ) +
        "\nStops on Ctrl-C (exit 130) or SIGTERM (exit 143) after acknowledging what" +
        "\nit wrote. Acks are confirmed by the server before it exits: exit 6 if some" +
        "\ncould not be within the retry budget (3 x the connection timeout), exit 3 if" +
        "\nthe server refuses them. In a pipe it pulls 1, 2, 4 ... events at first, so" +
        "\n`| head -1` acknowledges little more than it printed." +
        "\nWith --exec: handler exit 0 acks, else nak and retry after --backoff; after" +
        "\n--max-deliver attempts (default 5) the event is terminated and given up:" +
        "\nexit 7. See docs/workers.md.\n",
    ),
  ["timeout"],
).action(async (flags: ListenFlags, cmd: Command) => {
  const inv = invocationOf(cmd, { except: ["timeout"], reconnectForever: true });
  const { out } = inv;
  const req = listenRequest(inv.stream, flags, DEFAULT_DURABLE);
  const exec = execRequest(flags);
  const conn = await inv.connect();
  if (req.filter) {
    const info = await getStream(await conn.jsm(), inv.stream);
    checkSubjectInStream(req.filter, inv.stream, info.config.subjects ?? []);
  }
  if (exec) return runListenExec(inv, conn, req, exec);
  let consumerName = req.durable ?? "";
  const listener = await createListener(
    conn,
    // a pipe: what is written counts as handed over, so a reader that stops early
    // (`| head -1`) must have been handed little (see docs/reading.md, "In a pipe")
    { stream: inv.stream, ...req, slowStart: !out.interactive && stdoutMayStopEarly() },
    {
      render: messageRenderer(out, () => consumerName),
      write: (bytes) => out.writeConfirmed(bytes),
      warn: (t) => out.warn(t),
      info: (t) => out.info(t),
      ready(name, resumed) {
        consumerName = name;
        // not even made where notes are silent: its counts load the locale data (10 ms)
        if (!out.json && !out.quiet)
          out.info(listeningLine(inv.stream, req, name, resumed, out.errWidth));
      },
    },
  );
  const unsignal = onStopSignal((signal) => listener.stop(signal));
  const unwatch = onStdoutClosed(() => listener.stop("stdout"));
  let result;
  try {
    result = await listener.run();
  } finally {
    unsignal();
    unwatch();
  }
  // made only when said: its count loads the locale data (10 ms at the end of every run)
  const events = () => plural(result.written, "event");
  if (result.unconfirmed > 0) {
    throw new CliError(
      `${result.unconfirmed} of ${events()} written could not be confirmed as acknowledged (no answer from the consumer leader); ` +
        `they may be delivered again`,
      ExitCode.Timeout,
    );
  }
  switch (result.reason) {
    case "SIGINT":
    case "SIGTERM":
      out.info(
        result.written === 0
          ? `Stopped by ${result.reason} before any event`
          : `Stopped by ${result.reason} after ${events()}, ${result.written === 1 ? "acknowledged" : "all acknowledged"}`,
      );
      throw new CliError(`stopped by ${result.reason}`, exitCodeForSignal(result.reason), {
        reported: true,
      });
    case "idle":
      if (req.count !== undefined && result.written < req.count) {
        throw new CliError(
          `no event for ${formatDuration(req.idleMs ?? 0)}: got ${result.written} of ${req.count}`,
          ExitCode.Timeout,
        );
      }
      out.info(`No event for ${formatDuration(req.idleMs ?? 0)}; stopped after ${events()}`);
      return;
    default:
      return;
  }
});
