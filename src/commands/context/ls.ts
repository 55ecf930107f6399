// `context ls`: the natscli contexts, the selected one marked.

import { Command } from "commander";
import { describeAllContexts } from "../../config/nats-context.js";
import { warnOverrides } from "./overrides.js";
import { invocationOf } from "../../invocation.js";
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
      const inv = invocationOf(cmd, { useContext: false });
      const contexts = describeAllContexts();
      warnOverrides(inv, contexts.find((c) => c.selected)?.name);
      if (inv.out.json) return inv.out.printJson(contexts);
      await inv.out.result(await renderContextTable(contexts, inv.out.color, inv.out.width));
    }),
);
