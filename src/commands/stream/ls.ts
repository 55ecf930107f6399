// `stream ls`: every stream with its size and last activity, like `nats stream ls`.

import { Command } from "commander";
import { commandContext } from "../../context.js";
import { addLeafOptions } from "../../global-options.js";
import { apiStreamInfo, listStreams } from "../../nats/streams.js";
import { renderStreamTable } from "../../output/streams.js";
import { examples } from "../help.js";

export const lsCommand = addLeafOptions(
  new Command("ls")
    .alias("list")
    .description("list streams: name, description, created, messages, size, last message")
    .option("--names", "only the names, one per line (--json: an array of names)")
    .addHelpText(
      "after",
      examples(
        "tweetstream stream ls",
        "tweetstream stream ls --names",
        "tweetstream stream ls --json | jq -r '.[].config.name'",
      ),
    )
    .action(async (opts: { names?: boolean }, cmd: Command) => {
      const ctx = commandContext(cmd);
      const conn = await ctx.connect();
      const streams = await listStreams(await conn.jsm());
      if (opts.names) {
        const names = streams.map((s) => s.config.name);
        if (ctx.out.json) return ctx.out.printJson(names);
        if (names.length > 0) await ctx.out.result(names.join("\n"));
        return;
      }
      if (ctx.out.json) return ctx.out.printJson(streams.map((s) => apiStreamInfo(s)));
      await ctx.out.result(await renderStreamTable(streams, ctx.out.color, ctx.out.width));
    }),
);
