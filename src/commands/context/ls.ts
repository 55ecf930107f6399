// `context ls`: the natscli contexts, the selected one marked.

import { Command } from "commander";
import { describeAllContexts } from "../../config/nats-context.js";
import { warnOverrides } from "./overrides.js";
import { commandContext } from "../../context.js";
import { addLeafOptions } from "../../global-options.js";
import { renderContextTable } from "../../output/contexts.js";
import { examples } from "../help.js";

export const contextLsCommand = addLeafOptions(
  new Command("ls")
    .alias("list")
    .description("list the nats CLI's contexts: name, description, server; * marks the selected")
    .addHelpText(
      "after",
      examples("tweetstream context ls", "tweetstream context ls --json | jq -r '.[].name'"),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = commandContext(cmd, { useContext: false });
      const contexts = describeAllContexts();
      warnOverrides(ctx, contexts.find((c) => c.selected)?.name);
      if (ctx.out.json) return ctx.out.printJson(contexts);
      await ctx.out.result(await renderContextTable(contexts, ctx.out.color, ctx.out.width));
    }),
);
