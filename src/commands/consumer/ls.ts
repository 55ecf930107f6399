// `consumer ls [stream]`: the stream's consumers, like `nats consumer ls`.

import { Command } from "commander";
import { invocationOf } from "../../invocation.js";
import { addLeafOptions } from "../../global-options.js";
import { listConsumers } from "../../nats/consumers.js";
import { renderConsumerTable } from "../../output/consumers.js";
import { validateStreamName } from "../../parse.js";
import { examples } from "../help.js";

export const consumerLsCommand = addLeafOptions(
  new Command("ls")
    .alias("list")
    .description(
      "list a stream's consumers: name, description, created, ack pending, unprocessed, last delivery",
    )
    .argument("[stream]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
    .option("-n, --names", "names only, one a line (with --json: an array of names)")
    .addHelpText(
      "after",
      examples(
        "tweetstream consumer ls",
        "tweetstream consumer ls TWITTERCLONE --json | jq '.[].num_pending'",
        "tweetstream consumer ls --names",
      ),
    )
    .action(async (stream: string | undefined, opts: { names?: boolean }, cmd: Command) => {
      const inv = invocationOf(cmd);
      const streamName = validateStreamName(stream ?? inv.stream);
      const conn = await inv.connect();
      const consumers = await listConsumers(await conn.jsm(), streamName);
      if (opts.names) {
        const names = consumers.map((c) => c.name);
        if (inv.out.json) return inv.out.printJson(names);
        if (names.length > 0) await inv.out.result(names.join("\n"));
        return;
      }
      if (inv.out.json) return inv.out.printJson(consumers);
      await inv.out.result(
        await renderConsumerTable(streamName, consumers, inv.out.color, inv.out.width),
      );
    }),
);
