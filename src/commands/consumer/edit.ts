// `consumer edit [stream] [name]`: change a durable consumer in place (ack wait, max
// deliver, max ack pending, backoff, description, filter where the server allows), keeping
// its position and ack floor: the fix for `listen --durable x --max-deliver 5` on a durable
// made with other settings, other than removing it. Asks like stream edit; --dry-run shows.

import { Command } from "commander";
import { confirmOrRefuse } from "../../confirm.js";
import { CliError, ExitCode } from "../../errors.js";
import { getConsumer, updateConsumer } from "../../nats/consumers.js";
import { configChanges } from "../../nats/streams.js";
import { renderConfigChanges } from "../../output/streams.js";
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
      const out = t.ctx.out;
      const which = `consumer ${t.name} of stream ${t.stream}`;
      if (changes.length === 0) {
        if (out.json)
          return out.printJson(
            opts.dryRun ? { stream: t.stream, consumer: t.name, differs: false, changes } : current,
          );
        return out.result(`Consumer ${t.name}: no difference; nothing changed`);
      }
      const list = renderConfigChanges(changes);
      if (opts.dryRun) {
        if (out.json)
          await out.printJson({ stream: t.stream, consumer: t.name, differs: true, changes });
        else await out.result(`Consumer ${t.name} differs (dry run, nothing changed):\n${list}`);
        throw new CliError("differences", ExitCode.Differences, { reported: true });
      }
      const ok = await confirmOrRefuse(
        `edit ${which}`,
        `Consumer ${t.name} will change:\n${list}\nApply these changes?`,
        opts.force,
      );
      if (!ok) {
        out.info("Cancelled; nothing was changed");
        return;
      }
      const update = Object.fromEntries(changes.map((c) => [c.field, c.to]));
      const updated = await updateConsumer(t.jsm, t.stream, t.name, update);
      if (out.json) return out.printJson({ ...updated, changes });
      await out.result(`${out.color.green(`Consumer ${t.name} updated`)}:\n${list}`);
    },
  );
