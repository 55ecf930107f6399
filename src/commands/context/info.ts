// `context info [name]`: one natscli context's settings, secrets never shown.

import { Command } from "commander";
import {
  describeContext,
  listContextNames,
  loadContext,
  selectedContextName,
} from "../../config/nats-context.js";
import { commandContext } from "../../context.js";
import { usageError } from "../../errors.js";
import { addLeafOptions } from "../../global-options.js";
import { renderContextInfo } from "../../output/contexts.js";
import { warnOverrides } from "./overrides.js";
import { examples } from "../help.js";

export const contextInfoCommand = addLeafOptions(
  new Command("info")
    .alias("show")
    .description("show a context's settings (default: --context, NATS_CONTEXT or the selected)")
    .argument("[name]", "context name")
    .addHelpText(
      "after",
      examples("tweetstream context info", "tweetstream context info local --json"),
    )
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const ctx = commandContext(cmd, { useContext: false });
      const which = name ?? (ctx.globals.context || undefined) ?? selectedContextName();
      if (which === undefined) {
        const known = listContextNames();
        throw usageError(
          `no context selected; name one${known.length > 0 ? ` of: ${known.join(", ")}` : ""}`,
        );
      }
      const view = describeContext(loadContext(which));
      warnOverrides(ctx, view.name);
      if (ctx.out.json) return ctx.out.printJson(view);
      await ctx.out.result(renderContextInfo(view, ctx.out.color));
    }),
);
