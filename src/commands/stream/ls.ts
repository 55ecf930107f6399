// `stream ls`: every stream with its size and last activity, like `nats stream ls`.

import { Command } from "commander";
import { invocationOf } from "../../invocation.js";
import { addLeafOptions } from "../../global-options.js";
import { replicaSafetyNote } from "../../nats/replica-safety.js";
import { apiStreamInfo, isSystemStream, listStreams } from "../../nats/streams.js";
import { renderStreamTable } from "../../output/streams.js";
import { examples } from "../help.js";

export const lsCommand = addLeafOptions(
  new Command("ls")
    .alias("list")
    .summary("list streams: name, description, created, messages, size, last message")
    .description(
      "list streams: name, description, created, messages, size, last message; JetStream's system streams (key-value and object buckets) only with --all",
    )
    .option("-n, --names", "only the names, one per line (--json: an array of names)")
    .option(
      "-a, --all",
      "include JetStream's system streams (KV_*, OBJ_*, $MQTT_*: key-value and object buckets, MQTT state)",
    )
    .addHelpText(
      "after",
      examples(
        "tweetstream stream ls",
        "tweetstream stream ls --names",
        "tweetstream stream ls --all",
        "tweetstream stream ls --json | jq -r '.[].config.name'",
      ),
    )
    .action(async (opts: { names?: boolean; all?: boolean }, cmd: Command) => {
      const inv = invocationOf(cmd);
      const conn = await inv.connect();
      const every = await listStreams(await conn.jsm());
      const streams = opts.all ? every : every.filter((s) => !isSystemStream(s.config.name));
      const replicated = streams.filter((s) => s.config.num_replicas > 1);
      const note = replicaSafetyNote(
        conn.nc.info?.version,
        Math.max(1, ...replicated.map((s) => s.config.num_replicas)),
      );
      if (note)
        inv.out.warn(
          `${note}; replicated here: ${replicated.map((s) => s.config.name).join(", ")}`,
        );
      if (opts.names) {
        const names = streams.map((s) => s.config.name);
        if (inv.out.json) return inv.out.printJson(names);
        if (names.length > 0) await inv.out.result(names.join("\n"));
        return;
      }
      if (inv.out.json) return inv.out.printJson(streams.map((s) => apiStreamInfo(s)));
      if (streams.length === 0 && every.length > 0)
        return inv.out.result("No streams defined, pass -a to include system streams");
      await inv.out.result(await renderStreamTable(streams, inv.out.color, inv.out.width));
    }),
);
