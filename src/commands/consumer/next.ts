// `consumer next [stream] [name]`: take the next message(s) of a durable pull consumer,
// print each, then acknowledge it and wait for the server to confirm the ack.

import { Command } from "commander";
import { CliError, ExitCode } from "../../errors.js";
import { nextMessages } from "../../nats/consumers.js";
import { renderViewMessage, viewRecord } from "../../output/events.js";
import { formatDuration } from "../../output/format.js";
import { parseCount } from "../../parse.js";
import { examples } from "../help.js";
import { consumerCommand, resolveTarget } from "./target.js";

export const consumerNextCommand = consumerCommand(
  "next",
  "print the next message of a pull consumer, then acknowledge it (waits up to --timeout)",
)
  .option("--count <n>", "messages to take", "1")
  .option("--no-ack", "do not acknowledge (the message is delivered again after the ack wait)")
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer next TWITTERCLONE demo",
      "tweetstream consumer next TWITTERCLONE demo --count 10 --json",
    ),
  )
  .action(
    async (
      stream: string | undefined,
      name: string | undefined,
      opts: { count: string; ack: boolean },
      cmd: Command,
    ) => {
      const count = parseCount(opts.count, "--count");
      const t = await resolveTarget(cmd, stream, name);
      const out = t.inv.out;
      const conn = await t.inv.connect();
      const waitMs = conn.settings.timeoutMs;
      const result = await nextMessages(conn, {
        stream: t.stream,
        consumer: t.name,
        count,
        ack: opts.ack,
        waitMs,
        onMessage: async (msg) => {
          if (out.json) {
            await out.printNdjson({
              ...viewRecord(msg),
              consumer: t.name,
              delivered: msg.delivered,
            });
          } else await out.result(renderViewMessage(msg, out.color));
        },
      });
      if (opts.ack && result.acked > 0) {
        out.info(
          `Acknowledged ${result.acked} message${result.acked === 1 ? "" : "s"} (confirmed)`,
        );
      }
      if (result.received < count) {
        throw new CliError(
          `${result.received} of ${count} message${count === 1 ? "" : "s"} within ${formatDuration(waitMs)} from consumer ${t.name} of stream ${t.stream}`,
          ExitCode.Timeout,
        );
      }
    },
  );
