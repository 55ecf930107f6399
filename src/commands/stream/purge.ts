// `stream purge [name] [--subject s]`: remove messages, keep the stream. Asks on a
// terminal; without one it needs --force.

import { Command } from "commander";
import { confirmOrRefuse } from "../../confirm.js";
import { invocationOf } from "../../invocation.js";
import { checkSubjectInStream, resolveSubjectOption } from "../../subjects.js";
import { addLeafOptions } from "../../global-options.js";
import { getStream, purgeStream } from "../../nats/streams.js";
import { fitting, plural } from "../../output/format.js";
import { requireNameWithForce, validateStreamName } from "../../parse.js";
import { examples } from "../help.js";

export const purgeCommand = addLeafOptions(
  new Command("purge")
    .description("remove all messages (or those of one subject) from a stream, keeping the stream")
    .argument("[name]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
    .option(
      "--subject <subject>",
      "only this subject (full, wildcard, or tweet_created / tweet_liked)",
    )
    .option("-f, --force", "do not ask; required when there is no terminal")
    .addHelpText(
      "after",
      examples(
        "tweetstream stream purge",
        "tweetstream stream purge TWITTERCLONE --subject tweet_liked --force --json",
      ),
    )
    .action(
      async (
        name: string | undefined,
        opts: { subject?: string; force?: boolean },
        cmd: Command,
      ) => {
        const inv = invocationOf(cmd);
        requireNameWithForce(
          opts.force,
          [name],
          "--force requires a stream name: tweetstream stream purge NAME --force",
        );
        const streamName = validateStreamName(name ?? inv.stream);
        const subject =
          opts.subject === undefined ? undefined : resolveSubjectOption(streamName, opts.subject);
        const conn = await inv.connect();
        const jsm = await conn.jsm();
        const info = await getStream(jsm, streamName);
        if (subject) checkSubjectInStream(subject, streamName, info.config.subjects ?? []);
        const what = subject
          ? `messages on ${subject} from stream ${streamName}`
          : `all messages from stream ${streamName}`;
        // the question fits the terminal (with its " [y/N] ")
        const width = inv.out.errWidth === undefined ? undefined : inv.out.errWidth - 7;
        const question = subject
          ? fitting(width, `Purge ${subject} from stream ${streamName}?`, `Purge ${subject}?`)
          : `Purge all messages of stream ${streamName}?`;
        if (!(await confirmOrRefuse(`purge ${what}`, question, opts.force))) {
          inv.out.info("Cancelled; nothing was purged");
          return;
        }
        const purged = await purgeStream(jsm, streamName, subject);
        if (inv.out.json)
          return inv.out.printJson({ stream: streamName, subject: subject ?? null, purged });
        await inv.out.result(`Purged ${plural(purged, "message")} from stream ${streamName}`);
      },
    ),
);
