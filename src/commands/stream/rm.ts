// `stream rm [name]`: delete a stream and all its messages. Asks on a terminal;
// without one it needs --force.

import { Command } from "commander";
import { confirmOrRefuse } from "../../confirm.js";
import { invocationOf } from "../../invocation.js";
import { addLeafOptions } from "../../global-options.js";
import { getStream, removeStream } from "../../nats/streams.js";
import { plural } from "../../output/format.js";
import { requireNameWithForce, validateStreamName } from "../../parse.js";
import { examples } from "../help.js";

export const rmCommand = addLeafOptions(
  new Command("rm")
    .alias("delete")
    .description("delete a stream and all its messages")
    .argument("[name]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
    .option("-f, --force", "do not ask; required when there is no terminal")
    .addHelpText(
      "after",
      examples("tweetstream stream rm", "tweetstream stream rm TWITTERCLONE --force --json"),
    )
    .action(async (name: string | undefined, opts: { force?: boolean }, cmd: Command) => {
      const inv = invocationOf(cmd);
      requireNameWithForce(
        opts.force,
        [name],
        "--force requires a stream name: tweetstream stream rm NAME --force",
      );
      const streamName = validateStreamName(name ?? inv.stream);
      const conn = await inv.connect();
      const jsm = await conn.jsm();
      const stream = await getStream(jsm, streamName);
      const ok = await confirmOrRefuse(
        `delete stream ${streamName}`,
        `Delete stream ${streamName} and its ${plural(stream.state.messages, "message")}?`,
        opts.force,
      );
      if (!ok) {
        inv.out.info("Cancelled; nothing was deleted");
        return;
      }
      await removeStream(jsm, streamName);
      if (inv.out.json)
        return inv.out.printJson({
          stream: streamName,
          deleted: true,
          messages: stream.state.messages,
        });
      await inv.out.result(`Stream ${streamName} deleted`);
    }),
);
