// `consumer info [stream] [name]`: a consumer's configuration and state.

import { Command } from "commander";
import { getConsumer } from "../../nats/consumers.js";
import { renderConsumerInfo } from "../../output/consumers.js";
import { readDeadLetters } from "../../nats/dead-letters.js";
import { deadLetterField, deadLetterSummary } from "../../output/dead-letters.js";
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
      // the events it gave up on, when the stream's advisories are captured (dead-letters.ts)
      const dead = await readDeadLetters(await t.inv.connect(), t.stream, { consumer: t.name });
      const field = deadLetterField(dead);
      if (t.inv.out.json)
        return t.inv.out.printJson(field ? { ...info, dead_letters: field } : info);
      await t.inv.out.result(
        renderConsumerInfo(info, t.inv.out.color) + "\n" + deadLetterSummary(dead),
      );
    },
  );
