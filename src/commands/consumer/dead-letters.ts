// `consumer dead-letters [stream] [name]`: the events consumers gave up on (max deliveries
// reached, or terminated by a client), from the advisories captured in <STREAM>_ADVISORIES;
// `--capture` creates that stream (see nats/dead-letters.ts for why one is needed).

import { Command } from "commander";
import { invocationOf } from "../../invocation.js";
import { addLeafOptions } from "../../global-options.js";
import { captureStreamName, ensureCapture, readDeadLetters } from "../../nats/dead-letters.js";
import { renderDeadLetterLine } from "../../output/dead-letters.js";
import { validateStreamName } from "../../parse.js";
import { examples } from "../help.js";

export const consumerDeadLettersCommand = addLeafOptions(
  new Command("dead-letters")
    .description("events consumers gave up on (captured advisories); --capture sets it up")
    .argument("[stream]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
    .argument("[name]", "only this consumer")
    .option("--capture", "create the stream <STREAM>_ADVISORIES that keeps them")
    .addHelpText(
      "after",
      examples(
        "tweetstream consumer dead-letters --capture",
        "tweetstream consumer dead-letters TWITTERCLONE worker --json",
      ),
    ),
).action(
  async (
    stream: string | undefined,
    name: string | undefined,
    opts: { capture?: boolean },
    cmd: Command,
  ) => {
    const inv = invocationOf(cmd);
    const streamName = validateStreamName(stream ?? inv.stream);
    const conn = await inv.connect();
    const out = inv.out;
    if (opts.capture) {
      const done = await ensureCapture(await conn.jsm(), streamName);
      out.info(
        `${done === "created" ? "Created" : "Kept"} stream ${captureStreamName(streamName)}: it captures the dead-letter advisories of ${streamName}`,
      );
    }
    const report = await readDeadLetters(conn, streamName, { consumer: name, all: true });
    if (out.json) return out.printJson({ captured: report.captured, dead_letters: report.latest });
    if (!report.captured) {
      out.info(
        `No dead letters captured for stream ${streamName}: create the capture with tweetstream consumer dead-letters --capture`,
      );
      return;
    }
    if (report.count === 0) return out.info(`No dead letters on stream ${streamName}`);
    await out.result(report.latest.map(renderDeadLetterLine).join("\n"));
  },
);
