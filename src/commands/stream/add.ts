// `stream add [name]`: create the stream, or confirm it exists with the same configuration.

import { Command, Option } from "commander";
import { commandContext } from "../../context.js";
import { addLeafOptions } from "../../global-options.js";
import { addStream, type StreamSpec } from "../../nats/streams.js";
import { renderStreamInfo } from "../../output/streams.js";
import {
  MAX_SERVER_DURATION_MS,
  parseCount,
  parseDuration,
  parseLimit,
  parseSize,
  validateStreamName,
  validateStreamSubject,
} from "../../parse.js";
import { examples } from "../help.js";

export const DEFAULT_DESCRIPTION = "Streaming article example";

interface AddOptions {
  subjects?: string[];
  description: string;
  storage: "file" | "memory";
  replicas: number;
  maxAge: number;
  maxMsgs: number;
  maxBytes: number;
  dupeWindow?: number;
  discard?: "old" | "new";
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(",").map((s) => validateStreamSubject(s.trim())),
];

export const addCommand = addLeafOptions(
  new Command("add")
    .description(
      "create a stream (idempotent: an identical existing stream is fine, a different one is a conflict)",
    )
    .argument("[name]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
    .option(
      "--subjects <subject>",
      "subjects to store, repeatable or comma-separated (default: <name>.*)",
      collect,
    )
    .option("--description <text>", "description", DEFAULT_DESCRIPTION)
    .addOption(
      new Option("--storage <type>", "storage backend").choices(["file", "memory"]).default("file"),
    )
    .option("--replicas <n>", "number of replicas", (v) => parseCount(v, "--replicas"), 1)
    .option(
      "--max-age <duration>",
      "discard messages older than this (0 = unlimited)",
      (v) => parseDuration(v, "--max-age", { zero: true, max: MAX_SERVER_DURATION_MS }),
      0,
    )
    .option(
      "--max-msgs <n>",
      "keep at most this many messages (-1 = unlimited)",
      (v) => parseLimit(v, (s) => parseCount(s, "--max-msgs")),
      -1,
    )
    .option(
      "--max-bytes <size>",
      "keep at most this many bytes, e.g. 1GB (-1 = unlimited)",
      (v) => parseLimit(v, (s) => parseSize(s, "--max-bytes")),
      -1,
    )
    .option("--dupe-window <duration>", "duplicate detection window (server default 2m)", (v) =>
      parseDuration(v, "--dupe-window", { max: MAX_SERVER_DURATION_MS }),
    )
    .addOption(
      new Option(
        "--discard <policy>",
        "at a limit: old drops the oldest messages (server default), new refuses new ones (publishes fail, exit 5)",
      ).choices(["old", "new"]),
    )
    .addHelpText(
      "after",
      examples(
        "tweetstream stream add",
        "tweetstream stream add ORDERS --subjects 'ORDERS.*' --storage memory --max-age 7d",
        "tweetstream stream add --json | jq .status",
      ),
    )
    .action(async (name: string | undefined, opts: AddOptions, cmd: Command) => {
      const ctx = commandContext(cmd);
      const streamName = validateStreamName(name ?? ctx.stream);
      const spec: StreamSpec = {
        name: streamName,
        subjects: opts.subjects ?? [`${streamName}.*`],
        description: opts.description,
        descriptionGiven: cmd.getOptionValueSource("description") === "cli",
        storage: opts.storage,
        replicas: opts.replicas,
        maxAgeMs: opts.maxAge,
        maxMsgs: opts.maxMsgs,
        maxBytes: opts.maxBytes,
        dupeWindowMs: opts.dupeWindow,
        discard: opts.discard,
      };
      const conn = await ctx.connect();
      const result = await addStream(await conn.jsm(), spec);
      if (ctx.out.json) return ctx.out.printJson(result);
      const c = ctx.out.color;
      await ctx.out.result(
        result.status === "created"
          ? c.green(`Stream ${streamName} created`) + "\n\n" + renderStreamInfo(result.stream, c)
          : `Stream ${streamName} already exists with this configuration; nothing changed`,
      );
    }),
);
