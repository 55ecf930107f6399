// `context info [name]`: one natscli context's settings, secrets never shown.

import { Command } from "commander";
import {
  describeContext,
  listContextNames,
  loadContext,
  selectedContextName,
} from "../../config/nats-context.js";
import { invocationOf } from "../../invocation.js";
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
      const inv = invocationOf(cmd, { useContext: false });
      const which = name ?? (inv.globals.context || undefined) ?? selectedContextName();
      if (which === undefined) {
        const known = listContextNames();
        throw usageError(
          `no context selected; name one${known.length > 0 ? ` of: ${known.join(", ")}` : ""}`,
        );
      }
      const view = describeContext(loadContext(which));
      warnOverrides(inv, view.name);
      if (inv.out.json) return inv.out.printJson(view);
      await inv.out.result(renderContextInfo(view, inv.out.color));
    }),
);
