// `consumer add [stream] [name]`: provision a durable consumer, pull (what listen and
// consumer next read) or push (--target: the article's Go subscriber's kind), with
// natscli's flag names. Idempotent like stream add: an identical consumer is fine, a
// different one is a conflict pointing at consumer edit.

import { Command } from "commander";
import { addConsumer } from "../../nats/consumers.js";
import { renderConsumerInfo } from "../../output/consumers.js";
import { examples } from "../help.js";
import {
  addChangeableOptions,
  addCreateOptions,
  requestedConsumerConfig,
  type ConsumerFlags,
} from "./config-options.js";
import { consumerCommand, resolveTarget } from "./target.js";

export const consumerAddCommand = addCreateOptions(
  addChangeableOptions(
    consumerCommand("add", "create a durable consumer, pull (default) or push (--target)"),
  ),
)
  .alias("create")
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer add TWITTERCLONE worker --max-deliver 5 --wait 1m",
      "tweetstream consumer add TWITTERCLONE go-sub --target deliver.go",
      "tweetstream consumer add TWITTERCLONE likes --filter tweet_liked --json",
    ),
  )
  .action(
    async (
      stream: string | undefined,
      name: string | undefined,
      opts: ConsumerFlags,
      cmd: Command,
    ) => {
      const t = await resolveTarget(cmd, stream, name);
      const config = {
        ack_policy: "explicit",
        deliver_policy: "all",
        ...requestedConsumerConfig(t.stream, opts),
        durable_name: t.name,
      } as Parameters<typeof addConsumer>[2];
      const { info, existed } = await addConsumer(t.jsm, t.stream, config);
      const out = t.inv.out;
      if (out.json) return out.printJson({ ...info, ...(existed ? {} : { did_create: true }) });
      await out.result(
        existed
          ? `Consumer ${t.name} of stream ${t.stream} already exists with this configuration; nothing changed`
          : `${out.color.green(`Consumer ${t.name} of stream ${t.stream} created`)}\n\n` +
              renderConsumerInfo(info, out.color),
      );
    },
  );
