// The `stream` command group: only registration lives here.

import { Command } from "commander";
import { examples } from "../help.js";
import { addCommand } from "./add.js";
import { editCommand } from "./edit.js";
import { infoCommand } from "./info.js";
import { lsCommand } from "./ls.js";
import { purgeCommand } from "./purge.js";
import { rmCommand } from "./rm.js";
import { streamViewCommand } from "../view.js";

export const streamCommand = new Command("stream")
  .description("manage JetStream streams (like `nats stream …`)")
  .addHelpText(
    "after",
    examples("tweetstream stream add", "tweetstream stream ls", "tweetstream stream info --json"),
  )
  .addCommand(addCommand)
  .addCommand(lsCommand)
  .addCommand(infoCommand)
  .addCommand(editCommand)
  .addCommand(rmCommand)
  .addCommand(purgeCommand)
  .addCommand(streamViewCommand);
