// `publish --file <path|->`: bulk-publish NDJSON events (one per line), pipelined over one
// connection, read as a stream so a file of any size uses bounded memory.

import { Command, Option } from "commander";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { invocationOf } from "../../invocation.js";
import { CliError, usageError } from "../../errors.js";
import type { EventDefaults } from "../../events.js";
import { addLeafOptions } from "../../global-options.js";
import { readLines, type Line } from "../../input/lines.js";
import type { BulkItem } from "../../nats/bulk-publish.js";
import { publishableLine, subjectsOf } from "../../publishing/publishable.js";
import { examples } from "../help.js";
import {
  authorOption,
  bulkItem,
  maxPayloadOf,
  payloadTooLarge,
  publishMany,
  resolveAuthor,
  windowOption,
} from "./shared.js";

interface PublishOptions {
  file: string;
  author?: string;
  window: number;
  failFast?: boolean;
}

/** The input, opened before connecting so a missing file is exit 2 without a server. */
/** The lines of a file holding an event, and its blank lines (as readLines counts them). */
async function countLines(path: string, max: number): Promise<{ events: number; blank: number }> {
  const counts = { blank: 0 };
  let events = 0;
  const input = await openInput(path);
  try {
    for await (const batch of readLines(input, max, counts)) events += batch.length;
  } finally {
    input.destroy();
  }
  return { events, blank: counts.blank };
}

async function openInput(path: string): Promise<Readable> {
  if (path === "-") return process.stdin;
  let handle;
  try {
    handle = await open(path, "r");
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw usageError(`cannot read --file ${path}: it is a directory`);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw usageError(`cannot read --file ${path} (${code})`);
  }
  return handle.createReadStream({ highWaterMark: 256 * 1024 });
}

export const publishCommand = addLeafOptions(
  new Command("publish")
    .description(
      "publish events from an NDJSON file or stdin, one event per line, pipelined; prints a summary",
    )
    .addOption(
      new Option(
        "--file <path>",
        'NDJSON events, one per line; "-" reads stdin',
      ).makeOptionMandatory(),
    )
    .addOption(authorOption())
    .addOption(windowOption())
    .option("--fail-fast", "stop at the first bad line or failed publish")
    .addHelpText(
      "after",
      "\nEach line is an event, as the article's Go struct marshals it (one line):\n" +
        '  {"messageType":"tweet_created","id":"1","message":"hello world !",\n' +
        '   "date":"2022-01-07T22:01:27Z","author":"ziggornif"}\n' +
        "Short form: messageType (default tweet_created), id (tweets: a new UUID), date\n" +
        "(now) and author (--author) may be left out; only complete events are safe to\n" +
        "publish twice.\n" +
        "Lines longer than the server's max_payload (1 MiB by default) are rejected.\n" +
        examples(
          "tweetstream publish --file events.ndjson",
          "generate-events | tweetstream publish --file - --json | jq .failed",
          "tweetstream publish --file events.ndjson --fail-fast --quiet",
        ),
    )
    .action(async (opts: PublishOptions, cmd: Command) => {
      const inv = invocationOf(cmd);
      const defaults: EventDefaults = { author: resolveAuthor(opts.author), now: () => new Date() };
      const input = await openInput(opts.file);
      try {
        const conn = await inv.connect();
        const max = maxPayloadOf(conn);
        const subjects = subjectsOf(inv.stream);
        const itemFor = (line: Line): BulkItem => {
          if ("overLimit" in line)
            return { ref: line.lineNo, error: payloadTooLarge(line.overLimit, max, "line") };
          try {
            return bulkItem(line.lineNo, publishableLine(subjects, line.bytes, defaults), max);
          } catch (err) {
            if (!(err instanceof CliError)) throw err;
            return { ref: line.lineNo, error: err };
          }
        };
        const counts = { blank: 0 };
        let read = 0;
        let ended = false;
        async function* batches(): AsyncGenerator<Line[]> {
          for await (const batch of readLines(input, max, counts)) {
            read += batch.length;
            yield batch;
          }
          ended = true;
        }
        // a run that stopped early: a file is read again to its end, to count what was not
        // read (stdin cannot be: what it would still have sent is not known)
        const inputLines = async (stoppedEarly: boolean) =>
          stoppedEarly && !ended && opts.file !== "-"
            ? countLines(opts.file, max)
            : { events: read, blank: counts.blank };
        await publishMany(inv, conn, batches(), itemFor, {
          noun: "line",
          refKey: "line",
          window: opts.window,
          failFast: Boolean(opts.failFast),
          inputLines,
          stopInput: () => input.destroy(),
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EISDIR")
          throw usageError(`cannot read --file ${opts.file}: it is a directory`);
        throw err;
      } finally {
        if (input !== process.stdin) input.destroy();
      }
    }),
);
