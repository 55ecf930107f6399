// The `[stream] [name]` arguments of the consumer commands, in natscli's order: the
// stream defaults to --stream; a missing consumer name is a usage error naming the
// consumers the stream has.

import { Command } from "commander";
import type { JetStreamManager } from "nats";
import { invocationOf, type Invocation } from "../../invocation.js";
import { usageError } from "../../errors.js";
import { addLeafOptions } from "../../global-options.js";
import { listConsumers } from "../../nats/consumers.js";
import { validateConsumerName, validateStreamName } from "../../parse.js";

export interface ConsumerTarget {
  inv: Invocation;
  jsm: JetStreamManager;
  stream: string;
  name: string;
}

/**
 * A consumer command with the `[stream] [name]` arguments and the global options (but
 * those in `except`, which the command defines itself, e.g. `consumer wait --timeout`).
 */
export function consumerCommand(name: string, description: string, except: string[] = []): Command {
  return addLeafOptions(
    new Command(name)
      .description(description)
      .argument("[stream]", "stream name (default: --stream, TWEETSTREAM_STREAM or TWITTERCLONE)")
      .argument("[name]", "consumer name"),
    except,
  );
}

/** Connects and resolves the stream and consumer the command is about. */
export async function resolveTarget(
  cmd: Command,
  stream: string | undefined,
  name: string | undefined,
  except: string[] = [],
): Promise<ConsumerTarget> {
  const inv = invocationOf(cmd, { except });
  const streamName = validateStreamName(stream ?? inv.stream);
  if (name) validateConsumerName(name);
  const jsm = await (await inv.connect()).jsm();
  if (name === undefined || name === "") {
    const names = (await listConsumers(jsm, streamName)).map((c) => c.name);
    const which =
      names.length > 0 ? `; its consumers: ${names.join(", ")}` : "; it has no consumers";
    throw usageError(
      `name the consumer of stream ${streamName}: tweetstream consumer ${cmd.name()} STREAM NAME${which}`,
    );
  }
  return { inv, jsm, stream: streamName, name };
}
