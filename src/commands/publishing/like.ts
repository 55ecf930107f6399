// `like <tweetId>`: publish a tweet_liked event, as the article's POST /tweets/:id/likes does.

import { Command } from "commander";
import { invocationOf } from "../../invocation.js";
import { buildLike, validateEventId } from "../../events.js";
import { addLeafOptions } from "../../global-options.js";
import { examples } from "../help.js";
import { authorOption, publishOne, resolveAuthor } from "./shared.js";

export const likeCommand = addLeafOptions(
  new Command("like")
    .description(
      "publish a tweet_liked event for a tweet (like the article's POST /tweets/:id/likes); waits for the JetStream ack",
    )
    .argument("<tweetId>", "id of the liked tweet")
    .addOption(authorOption())
    .addHelpText(
      "after",
      examples(
        "tweetstream like 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        'id=$(tweetstream tweet "hello world !" --json | jq -r .event.id) && \\\n' +
          'tweetstream like "$id" --author alice',
      ),
    )
    .action(async (tweetId: string, opts: { author?: string }, cmd: Command) => {
      const inv = invocationOf(cmd);
      const author = resolveAuthor(opts.author);
      await publishOne(inv, buildLike({ tweetId: validateEventId(tweetId), author }));
    }),
);
