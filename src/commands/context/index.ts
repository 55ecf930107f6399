// The `context` command group (natscli contexts, read-only): only registration lives here.

import { Command } from "commander";
import { examples } from "../help.js";
import { contextInfoCommand } from "./info.js";
import { contextLsCommand } from "./ls.js";

export const contextCommand = new Command("context")
  .description("show the nats CLI's contexts (read-only; `nats context add|select` writes them)")
  .addHelpText(
    "after",
    examples(
      "tweetstream context ls",
      "tweetstream context info local --json",
      "tweetstream --context local stream ls",
    ),
  )
  .addCommand(contextLsCommand)
  .addCommand(contextInfoCommand);
