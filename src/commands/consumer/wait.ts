// `consumer wait [stream] [name]`: for CI scripts, exit 0 once a consumer has processed
// everything (or its ack floor reached --seq); exit 6 with the last state seen when
// --timeout passes first.

import { Command } from "commander";
import type { ConsumerInfo } from "nats";
import { CliError, ExitCode } from "../../errors.js";
import { waitForConsumer } from "../../nats/consumer-wait.js";
import { formatDuration } from "../../output/format.js";
import { parseCount, parseDuration } from "../../parse.js";
import { examples } from "../help.js";
import { consumerCommand, resolveTarget } from "./target.js";

/** "3 pending, 1 awaiting an ack, 2 redelivered, ack floor 397" */
export function consumerStateText(info: ConsumerInfo): string {
  return (
    `${info.num_pending} pending, ${info.num_ack_pending} awaiting an ack, ` +
    `${info.num_redelivered} redelivered, ack floor ${info.ack_floor.stream_seq}`
  );
}

export const consumerWaitCommand = consumerCommand(
  "wait",
  "wait until a consumer has caught up (nothing pending or awaiting an ack)",
  ["timeout"],
)
  .option("--timeout <duration>", "give up after this long: exit 6 (default: no limit)")
  .option("--seq <n>", "wait until the ack floor reaches this stream sequence instead")
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer wait TWITTERCLONE worker --timeout 1m",
      "tweetstream consumer wait TWITTERCLONE worker --seq 400 --json",
    ) +
      "\nExit 0 once caught up: one line, or the ConsumerInfo with --json. Exit 6 when" +
      "\n--timeout passed first, with the last state seen (pending, awaiting an ack," +
      "\nredelivered, ack floor) in the error.\n",
  )
  .action(
    async (
      stream: string | undefined,
      name: string | undefined,
      opts: { timeout?: string; seq?: string },
      cmd: Command,
    ) => {
      const timeoutMs =
        opts.timeout === undefined ? undefined : parseDuration(opts.timeout, "--timeout");
      const seq = opts.seq === undefined ? undefined : parseCount(opts.seq, "--seq");
      const t = await resolveTarget(cmd, stream, name, ["timeout"]);
      const what = `consumer ${t.name} of stream ${t.stream}`;
      const goal = seq === undefined ? "caught up" : `ack floor at ${seq}`;
      const r = await waitForConsumer(t.jsm, { stream: t.stream, name: t.name, timeoutMs, seq });
      if (!r.caughtUp) {
        throw new CliError(
          `${what} not ${goal} after ${formatDuration(r.waitedMs)}: ${consumerStateText(r.info)}`,
          ExitCode.Timeout,
        );
      }
      const out = t.inv.out;
      if (out.json) return out.printJson(r.info);
      await out.result(`${what} ${goal}: ${consumerStateText(r.info)}`);
    },
  );
