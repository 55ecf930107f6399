// `tweet <message>`: publish a tweet_created event, as the article's POST /tweets does;
// `--count N` publishes N of them, pipelined, for load generation.

import { Command } from "commander";
import { invocationOf, type Invocation } from "../../invocation.js";
import { usageError } from "../../errors.js";
import {
  buildTweet,
  fillTemplate,
  hasTemplate,
  validateEventId,
  TEMPLATE_INDEX,
} from "../../events.js";
import { addLeafOptions } from "../../global-options.js";
import type { BulkItem } from "../../nats/bulk-publish.js";
import { parseCount } from "../../parse.js";
import { subjectsOf, tweetSeries } from "../../publishing/publishable.js";
import { examples } from "../help.js";
import {
  authorOption,
  bulkItem,
  maxPayloadOf,
  publishMany,
  publishOne,
  resolveAuthor,
  windowOption,
} from "./shared.js";

interface TweetOptions {
  id?: string;
  author?: string;
  count: number;
  window: number;
  failFast?: boolean;
}

/** tweets built at a time by --count (memory stays bounded for any n) */
const BATCH = 256;

/** The server's largest max_payload is 64 MiB: more from stdin cannot be one message. */
const STDIN_LIMIT = 64 * 1024 * 1024;

/** `tweet -`: the whole of stdin, without its final newline. */
async function readMessageFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > STDIN_LIMIT) throw usageError("the message on stdin is over 64 MiB");
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw usageError("the message on stdin is not valid UTF-8");
  }
  return text.replace(/\r?\n$/, "");
}

function checkMessage(message: string): string {
  if (message.trim() === "") throw usageError("the tweet message is empty");
  return message;
}

async function tweetMany(inv: Invocation, message: string, author: string, opts: TweetOptions) {
  if (opts.id !== undefined && !hasTemplate(opts.id))
    throw usageError(
      `--id with --count needs ${TEMPLATE_INDEX} in it (e.g. --id 'load-${TEMPLATE_INDEX}'): otherwise every tweet would have the same id`,
    );
  const conn = await inv.connect();
  const max = maxPayloadOf(conn);
  const subjects = subjectsOf(inv.stream);
  // the indexes 1…count, a batch at a time; each tweet is built when it is sent
  function* batches(): Generator<number[]> {
    for (let first = 1; first <= opts.count; first += BATCH) {
      const batch: number[] = [];
      for (let n = first; n < first + BATCH && n <= opts.count; n++) batch.push(n);
      yield batch;
    }
  }
  const tweetN = tweetSeries(subjects, { message, author, id: opts.id });
  const itemFor = (n: number): BulkItem => bulkItem(n, tweetN(n), max);
  await publishMany(inv, conn, batches(), itemFor, {
    noun: "tweet",
    refKey: "index",
    window: opts.window,
    failFast: Boolean(opts.failFast),
    expected: opts.count,
  });
}

export const tweetCommand = addLeafOptions(
  new Command("tweet")
    .description(
      "publish a tweet_created event (like the article's POST /tweets); waits for the JetStream ack",
    )
    .argument(
      "<message>",
      `the tweet; "-" reads it from stdin; ${TEMPLATE_INDEX} is the index with --count`,
    )
    .option("--id <id>", `tweet id (default: a new UUID); with --count it needs ${TEMPLATE_INDEX}`)
    .addOption(authorOption())
    .option(
      "-n, --count <n>",
      `publish n tweets, pipelined (load generation); ${TEMPLATE_INDEX} in the message becomes 1…n`,
      (v) => parseCount(v, "--count"),
      1,
    )
    .addOption(windowOption())
    .option("--fail-fast", "with --count: stop at the first failure")
    .addHelpText(
      "after",
      examples(
        'tweetstream tweet "hello world !"',
        'tweetstream tweet "hello world !" --author ziggornif --json \\\n' + "| jq -r .event.id",
        "fortune | tweetstream tweet -",
        `tweetstream tweet "load test ${TEMPLATE_INDEX}" --count 10000`,
        `tweetstream tweet "seed ${TEMPLATE_INDEX}" --id 'seed-${TEMPLATE_INDEX}' --count 100  # idempotent`,
      ),
    )
    .action(async (text: string, opts: TweetOptions, cmd: Command) => {
      const inv = invocationOf(cmd);
      const author = resolveAuthor(opts.author);
      if (opts.id !== undefined) validateEventId(opts.id);
      const message = checkMessage(text === "-" ? await readMessageFromStdin() : text);
      if (opts.count > 1) return tweetMany(inv, message, author, opts);
      const id = opts.id === undefined ? undefined : fillTemplate(opts.id, 1);
      await publishOne(inv, buildTweet({ message: fillTemplate(message, 1), author, id }));
    }),
);
