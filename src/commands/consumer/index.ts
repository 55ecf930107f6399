// The `consumer` command group (like `nats consumer …`): only registration lives here.

import { Command } from "commander";
import { examples } from "../help.js";
import { consumerAddCommand } from "./add.js";
import { consumerEditCommand } from "./edit.js";
import { consumerCheckCommand } from "./check.js";
import { consumerDeadLettersCommand } from "./dead-letters.js";
import { consumerInfoCommand } from "./info.js";
import { consumerLsCommand } from "./ls.js";
import { consumerNextCommand } from "./next.js";
import { consumerRmCommand } from "./rm.js";
import { consumerWaitCommand } from "./wait.js";

export const consumerCommand = new Command("consumer")
  .description("inspect and remove a stream's consumers (like `nats consumer …`)")
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer ls",
      "tweetstream consumer info TWITTERCLONE tweetstream-listen --json",
      "tweetstream consumer rm TWITTERCLONE go-event-subscriber --force",
    ),
  )
  .addCommand(consumerLsCommand)
  .addCommand(consumerInfoCommand)
  .addCommand(consumerRmCommand)
  .addCommand(consumerNextCommand)
  .addCommand(consumerWaitCommand)
  .addCommand(consumerCheckCommand)
  .addCommand(consumerDeadLettersCommand);

// provisioning and changing consumers (issue 17 item 6)
consumerCommand.addCommand(consumerAddCommand).addCommand(consumerEditCommand);
