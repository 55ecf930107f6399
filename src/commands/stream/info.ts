// `stream info [name]`: configuration and state of one stream.

import { Command } from "commander";
import { invocationOf } from "../../invocation.js";
import { addLeafOptions } from "../../global-options.js";
import { replicaSafetyNote } from "../../nats/replica-safety.js";
import { apiStreamInfo, getStream } from "../../nats/streams.js";
import { renderStreamInfo } from "../../output/streams.js";
import { validateStreamName } from "../../parse.js";
import { examples } from "../help.js";

export const infoCommand = addLeafOptions(
  new Command("info")
    .description("show a stream's configuration and state")
    .argument("[name]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
    .addHelpText(
      "after",
      examples(
        "tweetstream stream info",
        "tweetstream stream info TWITTERCLONE --json | jq .state.messages",
      ),
    )
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const inv = invocationOf(cmd);
      const streamName = validateStreamName(name ?? inv.stream);
      const conn = await inv.connect();
      const info = await getStream(await conn.jsm(), streamName);
      const note = replicaSafetyNote(conn.nc.info?.version, info.config.num_replicas);
      if (inv.out.json) {
        if (note) inv.out.warn(note); // the JSON keeps the API's shape
        return inv.out.printJson(apiStreamInfo(info));
      }
      await inv.out.result(renderStreamInfo(info, inv.out.color, note));
    }),
);
