// `consumer edit [stream] [name]`: change a durable consumer in place (ack wait, max
// deliver, max ack pending, backoff, description, filter where the server allows), keeping
// its position and ack floor: the fix for `listen --durable x --max-deliver 5` on a durable
// made with other settings, other than removing it. Asks like stream edit; --dry-run shows.

import { Command } from "commander";
import { getConsumer, updateConsumer } from "../../nats/consumers.js";
import { configChanges } from "../../domain/config-change.js";
import { runEdit } from "../edit-flow.js";
import { examples } from "../help.js";
import {
  addChangeableOptions,
  requestedConsumerConfig,
  type ConsumerFlags,
} from "./config-options.js";
import { consumerCommand, resolveTarget } from "./target.js";

type EditFlags = ConsumerFlags & { force?: boolean; dryRun?: boolean };

export const consumerEditCommand = addChangeableOptions(
  consumerCommand("edit", "change a consumer in place, keeping its position and ack floor"),
)
  .alias("update")
  .option("-f, --force", "do not ask; required when there is no terminal")
  .option("--dry-run", "only show the differences: exit 1 when there are any, 0 when none")
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer edit TWITTERCLONE worker --max-deliver 5 --force",
      "tweetstream consumer edit TWITTERCLONE worker --backoff linear --dry-run",
    ),
  )
  .action(
    async (stream: string | undefined, name: string | undefined, opts: EditFlags, cmd: Command) => {
      const t = await resolveTarget(cmd, stream, name);
      const requested = requestedConsumerConfig(t.stream, opts);
      const current = await getConsumer(t.jsm, t.stream, t.name);
      const changes = configChanges(current.config, requested);
      await runEdit(
        t.inv.out,
        {
          subject: `Consumer ${t.name}`,
          action: `edit consumer ${t.name} of stream ${t.stream}`,
          changes,
          names: { stream: t.stream, consumer: t.name },
          current,
          apply: () =>
            updateConsumer(
              t.jsm,
              t.stream,
              t.name,
              Object.fromEntries(changes.map((c) => [c.field, c.to])),
            ),
        },
        opts,
      );
    },
  );
