// The `context` command group (natscli contexts): only registration lives here.

import { Command } from "commander";
import { examples } from "../help.js";
import { contextAddCommand, contextEditCommand } from "./add.js";
import { contextInfoCommand } from "./info.js";
import { contextLsCommand } from "./ls.js";
import { contextRmCommand, contextSelectCommand, contextUnselectCommand } from "./select.js";

export const contextCommand = new Command("context")
  .description("the nats CLI's contexts: named connection settings, natscli's files")
  .addHelpText(
    "after",
    examples(
      "tweetstream context add local --server nats://127.0.0.1:4222 --select",
      "tweetstream context ls",
      "tweetstream context info local --json",
      "tweetstream --context local stream ls",
    ),
  )
  .addCommand(contextLsCommand)
  .addCommand(contextInfoCommand)
  .addCommand(contextAddCommand)
  .addCommand(contextEditCommand)
  .addCommand(contextSelectCommand)
  .addCommand(contextUnselectCommand)
  .addCommand(contextRmCommand);
