// `stream ls`: every stream with its size and last activity, like `nats stream ls`.

import { Command } from "commander";
import { commandContext } from "../../context.js";
import { addLeafOptions } from "../../global-options.js";
import { listStreams } from "../../nats/streams.js";
import { renderStreamTable } from "../../output/streams.js";
import { examples } from "../help.js";

export const lsCommand = addLeafOptions(
  new Command("ls")
    .alias("list")
    .description("list streams: name, description, created, messages, size, last message")
    .addHelpText(
      "after",
      examples("tweetstream stream ls", "tweetstream stream ls --json | jq -r '.[].name'"),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = commandContext(cmd);
      const conn = await ctx.connect();
      const streams = await listStreams(await conn.jsm());
      if (ctx.out.json) return ctx.out.printJson(streams);
      await ctx.out.result(await renderStreamTable(streams, ctx.out.color));
    }),
);
