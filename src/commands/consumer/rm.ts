// `consumer rm [stream] [name]`: delete a consumer (its position and pending acks; the
// stream's messages stay). Asks on a terminal; without one it needs --force.

import { Command } from "commander";
import { confirmOrRefuse } from "../../confirm.js";
import { getConsumer, removeConsumer } from "../../nats/consumers.js";
import { requireNameWithForce } from "../../parse.js";
import { examples } from "../help.js";
import { consumerCommand, resolveTarget } from "./target.js";

export const consumerRmCommand = consumerCommand(
  "rm",
  "delete a consumer (the stream's messages stay)",
)
  .alias("delete")
  .option("-f, --force", "do not ask; required when there is no terminal")
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer rm TWITTERCLONE demo",
      "tweetstream consumer rm TWITTERCLONE go-event-subscriber --force --json",
    ),
  )
  .action(
    async (
      stream: string | undefined,
      name: string | undefined,
      opts: { force?: boolean },
      cmd: Command,
    ) => {
      requireNameWithForce(
        opts.force,
        [stream, name],
        "--force requires a stream and consumer name: tweetstream consumer rm STREAM NAME --force",
      );
      const t = await resolveTarget(cmd, stream, name);
      // not found is exit 4 before anything is asked
      const info = await getConsumer(t.jsm, t.stream, t.name);
      const ok = await confirmOrRefuse(
        `delete consumer ${t.name} of stream ${t.stream}`,
        `Really delete consumer ${t.name} of stream ${t.stream} (${info.num_pending} unprocessed, ${info.num_ack_pending} awaiting ack)?`,
        opts.force,
      );
      if (!ok) {
        t.inv.out.info("Cancelled; nothing was deleted");
        return;
      }
      await removeConsumer(t.jsm, t.stream, t.name);
      if (t.inv.out.json)
        return t.inv.out.printJson({ stream: t.stream, consumer: t.name, deleted: true });
      await t.inv.out.result(`Consumer ${t.name} of stream ${t.stream} deleted`);
    },
  );
