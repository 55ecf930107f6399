// `stream edit [name]`: change a stream's configuration in place (limits, description,
// subjects, …). Shows what changes and how many stored messages that removes; asks on a
// terminal, needs --force without one. --dry-run only shows it (exit 1 when it differs,
// natscli's drift check).

import { Command } from "commander";
import { confirmOrRefuse } from "../../confirm.js";
import { commandContext } from "../../context.js";
import { CliError, ExitCode } from "../../errors.js";
import { addLeafOptions } from "../../global-options.js";
import { changeImpacts } from "../../nats/edit-impact.js";
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
      const ctx = commandContext(cmd);
      const given = requestedConfig(opts);
      const streamName = validateStreamName(name ?? given.name ?? ctx.stream);
      const conn = await ctx.connect();
      const jsm = await conn.jsm();
      const current = await getStream(jsm, streamName);
      const changes = await changeImpacts(
        conn,
        current,
        configChanges(current.config, { ...given, name: streamName } as StreamRequest),
      );
      const out = ctx.out;
      if (changes.length === 0) {
        if (out.json)
          return out.printJson(
            opts.dryRun
              ? { stream: streamName, differs: false, changes }
              : { ...apiStreamInfo(current), changes },
          );
        return out.result(`Stream ${streamName}: no difference; nothing changed`);
      }
      const list = renderConfigChanges(changes);
      if (opts.dryRun) {
        if (out.json) await out.printJson({ stream: streamName, differs: true, changes });
        else await out.result(`Stream ${streamName} differs (dry run, nothing changed):\n${list}`);
        throw new CliError("differences", ExitCode.Differences, { reported: true });
      }
      const ok = await confirmOrRefuse(
        `edit stream ${streamName}`,
        `Stream ${streamName} will change:\n${list}\nApply these changes?`,
        opts.force,
      );
      if (!ok) {
        out.info("Cancelled; nothing was changed");
        return;
      }
      const updated = await editStream(jsm, current, changes);
      if (out.json) return out.printJson({ ...apiStreamInfo(updated), changes });
      await out.result(`${out.color.green(`Stream ${streamName} updated`)}:\n${list}`);
    }),
);
