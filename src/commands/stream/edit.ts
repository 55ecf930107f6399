// `stream edit [name]`: change a stream's configuration in place (limits, description,
// subjects, …). Shows what changes and how many stored messages that removes; asks on a
// terminal, needs --force without one. --dry-run only shows it (exit 1 when it differs,
// natscli's drift check).

import { Command } from "commander";
import { invocationOf } from "../../invocation.js";
import { addLeafOptions } from "../../global-options.js";
import { changeImpacts } from "../../nats/edit-impact.js";
import { configChanges } from "../../domain/config-change.js";
import { apiStreamInfo, editStream, getStream, type StreamRequest } from "../../nats/streams.js";
import { validateStreamName } from "../../parse.js";
import { runEdit } from "../edit-flow.js";
import { examples } from "../help.js";
import { addConfigOptions, requestedConfig, type ConfigOptions } from "./config-options.js";

type EditFlags = ConfigOptions & { force?: boolean; dryRun?: boolean };

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
    .option(
      "--dry-run",
      "only show the differences: exit 1 when there are any, 0 when none (natscli's drift check)",
    )
    .addHelpText(
      "after",
      examples(
        "tweetstream stream edit --max-age 30d",
        "tweetstream stream edit TWITTERCLONE --max-bytes 1GB --force",
        "tweetstream stream edit --config stream.json --dry-run  # exit 1: drifted",
        "tweetstream stream edit S --max-msgs -1 --force --json | jq .config",
      ),
    )
    .action(async (name: string | undefined, opts: EditFlags, cmd: Command) => {
      const inv = invocationOf(cmd);
      const given = requestedConfig(opts);
      const streamName = validateStreamName(name ?? given.name ?? inv.stream);
      const conn = await inv.connect();
      const jsm = await conn.jsm();
      const current = await getStream(jsm, streamName);
      const changes = await changeImpacts(
        conn,
        current,
        configChanges(current.config, { ...given, name: streamName } as StreamRequest),
      );
      await runEdit(
        inv.out,
        {
          subject: `Stream ${streamName}`,
          action: `edit stream ${streamName}`,
          changes,
          names: { stream: streamName },
          current: apiStreamInfo(current),
          apply: async () => apiStreamInfo(await editStream(jsm, current, changes)),
        },
        opts,
      );
    }),
);
