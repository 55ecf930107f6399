// `view [stream]` (also `stream view`): the stored messages, oldest first, and exit.
// Never prompts or pages, so it works the same in a pipe as at a terminal.

import { Command } from "commander";
import { invocationOf } from "../invocation.js";
import { usageError } from "../errors.js";
import { resolveSubjectOption } from "../subjects.js";
import { addLeafOptions } from "../global-options.js";
import { planView, readStoppedError, type ViewStart } from "../nats/view.js";
import { retryBudgetMs } from "../nats/retry.js";
import { reportConnectionEvents } from "../nats/status.js";
import { rawPayload, renderViewMessage, viewLine, type StoredMessage } from "../output/events.js";
import { writeInBursts } from "../output/bursts.js";
import { parseCount, parseTimePoint, validateStreamName } from "../parse.js";
import { examples } from "./help.js";

interface ViewFlags {
  subject?: string;
  since?: string;
  seq?: string;
  last?: string;
  count?: string;
  raw?: boolean;
}

export interface ViewRequest {
  stream: string;
  filter?: string;
  start: ViewStart;
  count?: number;
  raw: boolean;
}

/** Flags → a typed request; start points are exclusive. */
export function viewRequest(stream: string, flags: ViewFlags): ViewRequest {
  const starts = (["since", "seq", "last"] as const).filter((k) => flags[k] !== undefined);
  if (starts.length > 1) {
    throw usageError(
      `use only one of --since, --seq and --last (got ${starts.map((s) => `--${s}`).join(" and ")})`,
    );
  }
  let start: ViewStart = { deliver_policy: "all" };
  if (flags.since !== undefined) {
    start = {
      deliver_policy: "by_start_time",
      opt_start_time: parseTimePoint(flags.since, "--since").toISOString(),
    };
  } else if (flags.seq !== undefined) {
    start = { deliver_policy: "by_start_sequence", opt_start_seq: parseCount(flags.seq, "--seq") };
  } else if (flags.last !== undefined) {
    start = { last: parseCount(flags.last, "--last") };
  }
  return {
    stream,
    filter: flags.subject === undefined ? undefined : resolveSubjectOption(stream, flags.subject),
    start,
    count: flags.count === undefined ? undefined : parseCount(flags.count, "--count"),
    raw: Boolean(flags.raw),
  };
}

function buildViewCommand(): Command {
  return addLeafOptions(
    new Command("view")
      .description("show the messages stored in a stream, oldest first (never pages or prompts)")
      .argument("[stream]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
      .option(
        "--subject <subject>",
        "only this subject: full, wildcard, or tweet_created / tweet_liked (= <STREAM>.<s>)",
      )
      .option(
        "--since <duration|time>",
        "start at this time: RFC 3339, or a duration ago (10m, 2h)",
      )
      .option("--seq <n>", "start at this stream sequence")
      .option("--last <n>", "only the newest n (matching) messages")
      .option("-n, --count <n>", "stop after n messages")
      .option("--raw", "payloads only, one per line")
      .addHelpText(
        "after",
        examples(
          "tweetstream view",
          "tweetstream view --subject tweet_liked --last 10",
          "tweetstream view --since 1h --json | jq -c .event",
          "tweetstream stream view TWITTERCLONE --seq 100 --count 5 --raw",
        ),
      )
      .action(async (name: string | undefined, flags: ViewFlags, cmd: Command) => {
        const inv = invocationOf(cmd);
        const req = viewRequest(validateStreamName(name ?? inv.stream), flags);
        const conn = await inv.connect();
        const { timeoutMs } = conn.settings;
        const budgetMs = retryBudgetMs(timeoutMs);
        const plan = await planView(conn, { ...req, restartMs: timeoutMs, budgetMs });
        if (plan.total === 0) {
          inv.out.info(
            `No messages${req.filter ? ` on ${req.filter}` : ""} in stream ${req.stream} match`,
          );
          return;
        }
        const { out } = inv;
        const render = req.raw
          ? (m: StoredMessage) => rawPayload(m) + "\n"
          : out.json
            ? (m: StoredMessage) => viewLine(m) + "\n"
            : (m: StoredMessage) => renderViewMessage(m, out.color);
        // a node lost and regained while reading is named (on a cluster: n2, then n1)
        const stopReports = reportConnectionEvents(conn.nc, out);
        const end = await writeInBursts(
          plan.messages,
          render,
          (text) => out.writeConfirmed(text),
          plan.queued,
        ).finally(stopReports);
        // undefined: stdout closed early (| head), which ends quietly
        if (end?.stopped) throw readStoppedError(end, plan.total, budgetMs);
      }),
  );
}

export const viewCommand = buildViewCommand();
/** The same command under `stream view` (commander needs a separate instance). */
export const streamViewCommand = buildViewCommand();
