// `stream add [name]`: create the stream, or confirm it exists with the same configuration.

import { Command } from "commander";
import { invocationOf } from "../../invocation.js";
import { addLeafOptions } from "../../global-options.js";
import { replicaSafetyNote } from "../../nats/replica-safety.js";
import {
  addStream,
  apiStreamInfo,
  systemStreamKind,
  type StreamRequest,
} from "../../nats/streams.js";
import { renderStreamInfo } from "../../output/streams.js";
import { validateStreamName } from "../../parse.js";
import { examples } from "../help.js";
import { addConfigOptions, requestedConfig, type ConfigOptions } from "./config-options.js";

/** What a new stream gets when neither an option nor --config says otherwise. */
export function withDefaults(name: string, given: Partial<StreamRequest>): StreamRequest {
  return {
    subjects: [`${name}.*`],
    storage: "file" as StreamRequest["storage"],
    num_replicas: 1,
    retention: "limits" as StreamRequest["retention"],
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
    max_msg_size: -1,
    max_msgs_per_subject: -1,
    ...given,
    name,
  };
}

export const addCommand = addLeafOptions(
  addConfigOptions(
    new Command("add")
      .description(
        "create a stream (idempotent: an identical existing stream is fine, a different one is a conflict)",
      )
      .argument("[name]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)"),
    {
      subjects: "<name>.*",
      storage: "file",
      replicas: "1",
      retention: "limits",
      maxAge: "unlimited",
      limits: "unlimited",
      dupeWindow: "the server's, 2m",
      allowDirect: "off, natscli's is on",
    },
  )
    .option("--defaults", "accepted for natscli's sake: tweetstream never prompts")
    .addHelpText(
      "after",
      examples(
        "tweetstream stream add",
        "tweetstream stream add ORDERS --subjects 'ORDERS.*' --storage memory \\\n" +
          "--max-age 7d",
        "tweetstream stream add ORDERS --config orders.json",
        "tweetstream stream add --json | jq .config.subjects",
      ),
    )
    .action(async (name: string | undefined, opts: ConfigOptions, cmd: Command) => {
      const inv = invocationOf(cmd);
      const given = requestedConfig(opts);
      const streamName = validateStreamName(name ?? given.name ?? inv.stream);
      const request = withDefaults(streamName, given);
      const conn = await inv.connect();
      const result = await addStream(await conn.jsm(), request);
      // a name stream ls hides: said now, not discovered when the stream seems to be gone
      const system = systemStreamKind(streamName);
      if (system) {
        inv.out.warn(
          `stream ls lists ${streamName} only with --all (${system.prefix}* names are JetStream's ${system.what})`,
        );
      }
      const note = replicaSafetyNote(conn.nc.info?.version, result.info.config.num_replicas);
      if (note) inv.out.warn(note);
      if (inv.out.json)
        return inv.out.printJson(apiStreamInfo(result.info, result.status === "created"));
      const c = inv.out.color;
      await inv.out.result(
        result.status === "created"
          ? c.green(`Stream ${streamName} created`) + "\n\n" + renderStreamInfo(result.info, c)
          : `Stream ${streamName} already exists with this configuration; nothing changed`,
      );
    }),
);
