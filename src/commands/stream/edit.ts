// `stream edit [name]`: change a stream's configuration in place (limits, description,
// subjects, …). Shows what changes; asks on a terminal, needs --force without one.

import { Command } from "commander";
import { confirmOrRefuse } from "../../confirm.js";
import { commandContext } from "../../context.js";
import { usageError } from "../../errors.js";
import { addLeafOptions } from "../../global-options.js";
import {
  apiStreamInfo,
  configChanges,
  editStream,
  getStream,
  type StreamRequest,
} from "../../nats/streams.js";
import { renderConfigChanges } from "../../output/streams.js";
import { validateStreamName } from "../../parse.js";
import { examples } from "../help.js";
import { addConfigOptions, requestedConfig, type ConfigOptions } from "./config-options.js";

export const editCommand = addLeafOptions(
  addConfigOptions(
    new Command("edit")
      .description(
        "change a stream's configuration in place: only the options given change " +
          "(the server refuses some changes, e.g. storage: exit 5)",
      )
      .argument("[name]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)"),
  )
    .option("-f, --force", "do not ask; required when there is no terminal")
    .addHelpText(
      "after",
      examples(
        "tweetstream stream edit --max-age 30d",
        "tweetstream stream edit TWITTERCLONE --max-bytes 1GB --description tweets \\\n" +
          "--force",
        "tweetstream stream edit --max-msgs unlimited --force --json \\\n" +
          "| jq .config.max_msgs",
      ),
    )
    .action(
      async (name: string | undefined, opts: ConfigOptions & { force?: boolean }, cmd: Command) => {
        const ctx = commandContext(cmd);
        const given = requestedConfig(opts);
        const streamName = validateStreamName(name ?? given.name ?? ctx.stream);
        if (Object.keys(given).filter((k) => k !== "name").length === 0) {
          throw usageError(
            "nothing to change: give the options to change, e.g. --max-age 7d (see stream edit --help)",
          );
        }
        const conn = await ctx.connect();
        const jsm = await conn.jsm();
        const current = await getStream(jsm, streamName);
        const changes = configChanges(current.config, {
          ...given,
          name: streamName,
        } as StreamRequest);
        if (changes.length === 0) {
          if (ctx.out.json) return ctx.out.printJson(apiStreamInfo(current));
          return ctx.out.result(
            `Stream ${streamName} already has this configuration; nothing changed`,
          );
        }
        const list = renderConfigChanges(changes);
        const ok = await confirmOrRefuse(
          `edit stream ${streamName}`,
          `Stream ${streamName} will change:\n${list}\nApply these changes?`,
          opts.force,
        );
        if (!ok) {
          ctx.out.info("Cancelled; nothing was changed");
          return;
        }
        const updated = await editStream(jsm, current, changes);
        if (ctx.out.json) return ctx.out.printJson(apiStreamInfo(updated));
        await ctx.out.result(`${ctx.out.color.green(`Stream ${streamName} updated`)}:\n${list}`);
      },
    ),
);
