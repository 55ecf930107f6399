// One run of a command (its invocation): what every action starts from, the merged global
// options, the output (stdout/stderr, colour, spinners) and a lazy connection, opened on
// first use. ("Context" is the natscli connection profile only: src/config/.)

import type { Command } from "commander";
import { connectSettings, readGlobals, type GlobalOptions } from "./global-options.js";
import { createOutput, type Output } from "./output/output.js";
import { getConnection, type ConnectSettings, type Connection } from "./nats/connection.js";

/** A command's invocation: its resolved options, output and connection (`inv` in actions). */
export interface Invocation {
  globals: GlobalOptions;
  out: Output;
  /** the stream named by --stream / TWEETSTREAM_STREAM (default TWITTERCLONE) */
  stream: string;
  settings: ConnectSettings;
  connect(): Promise<Connection>;
}

export interface InvocationOptions {
  /** leaf options that are not the global ones of the same name */
  except?: string[];
  /** apply the natscli context (default true) */
  useContext?: boolean;
  /** keep reconnecting when the server goes away (long-running commands) */
  reconnectForever?: boolean;
}

export function invocationOf(cmd: Command, options: InvocationOptions = {}): Invocation {
  const globals = readGlobals(cmd, options);
  const out = createOutput({ json: globals.json, quiet: globals.quiet, color: globals.color });
  for (const notice of globals.notices) out.warn(notice);
  const settings: ConnectSettings = {
    ...connectSettings(globals),
    reconnectForever: options.reconnectForever,
  };
  return {
    globals,
    out,
    stream: globals.stream,
    settings,
    // reader consumers are created through addReaderConsumer (see nats/reader-consumer.ts)
    connect: () => getConnection(settings),
  };
}
