// `consumer info [stream] [name]`: a consumer's configuration and state.

import { Command } from "commander";
import { getConsumer } from "../../nats/consumers.js";
import { renderConsumerInfo } from "../../output/consumers.js";
import { examples } from "../help.js";
import { consumerCommand, resolveTarget } from "./target.js";

export const consumerInfoCommand = consumerCommand(
  "info",
  "show a consumer's configuration and state",
)
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer info TWITTERCLONE tweetstream-listen",
      "tweetstream consumer info TWITTERCLONE demo --json | jq .num_pending",
    ),
  )
  .action(
    async (stream: string | undefined, name: string | undefined, _o: unknown, cmd: Command) => {
      const t = await resolveTarget(cmd, stream, name);
      const info = await getConsumer(t.jsm, t.stream, t.name);
      if (t.ctx.out.json) return t.ctx.out.printJson(info);
      await t.ctx.out.result(renderConsumerInfo(info, t.ctx.out.color));
    },
  );
