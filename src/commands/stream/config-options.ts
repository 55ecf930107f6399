// The stream configuration options shared by `stream add` and `stream edit`, and their
// translation into the API's StreamConfig fields (durations in nanoseconds). Only the
// options actually given become fields: add fills in its defaults, edit changes only those.

import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import type { StreamConfig } from "nats";
import { usageError } from "../../errors.js";
import { NS_PER_MS } from "../../util/time.js";
import {
  MAX_SERVER_DURATION_MS,
  parseCount,
  parseDuration,
  parseLimit,
  parseSize,
  validateStreamName,
  validateStreamSubject,
} from "../../parse.js";

export interface ConfigOptions {
  subjects?: string[];
  description?: string;
  storage?: string;
  replicas?: number;
  retention?: string;
  maxAge?: number;
  maxMsgs?: number;
  maxBytes?: number;
  maxMsgSize?: number;
  maxMsgsPerSubject?: number;
  dupeWindow?: number;
  discard?: "old" | "new";
  denyDelete?: boolean;
  denyPurge?: boolean;
  allowRollup?: boolean;
  allowDirect?: boolean;
  maxConsumers?: number;
  config?: string;
}

/** Repeated, comma- or space-separated, as natscli's SplitCLISubjects reads them. */
const collectSubjects = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(/[\s,]+/)
    .filter((s) => s !== "")
    .map((s) => validateStreamSubject(s)),
];

/**
 * A value from a list of spellings (natscli's included) → the API's word; else exit 2.
 * The options list only the API's words as choices (help, completion); this takes all.
 */
const oneOf =
  (what: string, spellings: Record<string, string>) =>
  (value: string): string => {
    const word = spellings[value.trim().toLowerCase()];
    if (word === undefined)
      throw usageError(
        `invalid ${what} "${value}": use one of ${Object.keys(spellings).join(", ")}`,
      );
    return word;
  };
const STORAGE = { file: "file", f: "file", memory: "memory", m: "memory" };
const RETENTION = {
  limits: "limits",
  interest: "interest",
  workqueue: "workqueue",
  workq: "workqueue",
  work: "workqueue",
};

const count = (what: string) => (v: string) => parseLimit(v, (s) => parseCount(s, what));
const size = (what: string) => (v: string) => parseLimit(v, (s) => parseSize(s, what));
/** --max-age (0, -1 or unlimited = unlimited) and --dupe-window, within what the server accepts. */
const duration =
  (what: string, zero = false) =>
  (v: string) =>
    zero && /^(unlimited|-1)$/i.test(v.trim())
      ? 0
      : parseDuration(v, what, { zero, max: MAX_SERVER_DURATION_MS });

/**
 * Adds the configuration options to `cmd`. `defaults` is appended to the help of the
 * options whose default `stream add` applies (edit has none: it changes what is given).
 */
export function addConfigOptions(cmd: Command, defaults: Record<string, string> = {}): Command {
  const d = (key: string) => (defaults[key] ? ` (default: ${defaults[key]})` : "");
  return cmd
    .option(
      "--subjects <subject>",
      `subjects to store, repeatable, comma- or space-separated ` +
        `(--subjects A.x --subjects 'A.y A.z')${d("subjects")}`,
      collectSubjects,
    )
    .option("--description <text>", `description${d("description")}`)
    .addOption(
      new Option("--storage <type>", `storage backend, also f, m${d("storage")}`)
        .choices(["file", "memory"])
        .argParser(oneOf("--storage", STORAGE)),
    )
    .option("--replicas <n>", `number of replicas (clustered servers)${d("replicas")}`, (v) =>
      parseCount(v, "--replicas"),
    )
    .addOption(
      new Option(
        "--retention <policy>",
        `when messages are removed: limits (only by the limits), interest (once every ` +
          `consumer acked), workqueue (workq, work: once one consumer acked)${d("retention")}`,
      )
        .choices(["limits", "interest", "workqueue"])
        .argParser(oneOf("--retention", RETENTION)),
    )
    .option(
      "--max-age <duration>",
      `discard messages older than this, e.g. 12h, 7d, 1M (month) (0, -1 or unlimited)${d("maxAge")}`,
      duration("--max-age", true),
    )
    .option(
      "--max-msgs <n>",
      `keep at most this many messages (-1 or unlimited)${d("limits")}`,
      count("--max-msgs"),
    )
    .option(
      "--max-bytes <size>",
      `keep at most this many bytes, e.g. 512MB, 1GB (binary units; -1 or unlimited)${d("limits")}`,
      size("--max-bytes"),
    )
    .option(
      "--max-msg-size <size>",
      `refuse messages larger than this, e.g. 64KB (-1 or unlimited)${d("limits")}`,
      size("--max-msg-size"),
    )
    .option(
      "--max-msgs-per-subject <n>",
      `keep at most this many messages per subject (-1 or unlimited)${d("limits")}`,
      count("--max-msgs-per-subject"),
    )
    .option(
      "--dupe-window <duration>",
      `duplicate-detection window for Nats-Msg-Id${d("dupeWindow")}`,
      duration("--dupe-window"),
    )
    .addOption(
      // the same option as the errors helper's on stream add (feat/errors), shared with edit
      new Option(
        "--discard <policy>",
        "at a limit: old drops the oldest messages (server default), new refuses new ones (publishes fail, exit 5)",
      ).choices(["old", "new"]),
    )
    .option(
      "--max-consumers <n>",
      `allow at most this many consumers (-1 or unlimited)${d("limits")}`,
      count("--max-consumers"),
    )
    .option("--deny-delete", "refuse deleting single messages through the API")
    .option("--deny-purge", "refuse purging the stream through the API")
    .option("--allow-rollup", "allow roll-ups by the Nats-Rollup header (--no-allow-rollup: off)")
    .addOption(new Option("--no-allow-rollup", "disallow roll-ups").hideHelp())
    .option("--allow-direct", `allow direct gets (--no-allow-direct: off)${d("allowDirect")}`)
    .addOption(new Option("--no-allow-direct", "disallow direct gets").hideHelp())
    .option(
      "--config <file>",
      "a stream configuration in the JetStream API's JSON, as `nats stream add --config` " +
        "takes (durations in ns, e.g. from `stream info --json | jq .config`); the options " +
        'above override its fields; "-" reads stdin',
    );
}

/** The --config file's configuration: a JSON object, else exit 2. */
function readConfigFile(path: string): Partial<StreamConfig> {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    throw usageError(`cannot read --config ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw usageError(`invalid --config ${path}: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw usageError(`invalid --config ${path}: expected a JSON object (a stream configuration)`);
  }
  const config = value as Partial<StreamConfig>;
  if (config.name !== undefined) validateStreamName(String(config.name));
  return config;
}

/** The StreamConfig fields the options ask for: the --config file, then the options given. */
export function requestedConfig(opts: ConfigOptions): Partial<StreamConfig> {
  const file = opts.config !== undefined ? readConfigFile(opts.config) : {};
  const fields: Record<string, unknown> = {
    subjects: opts.subjects,
    description: opts.description,
    storage: opts.storage,
    num_replicas: opts.replicas,
    retention: opts.retention,
    max_age: opts.maxAge === undefined ? undefined : opts.maxAge * NS_PER_MS,
    max_msgs: opts.maxMsgs,
    max_bytes: opts.maxBytes,
    max_msg_size: opts.maxMsgSize,
    max_msgs_per_subject: opts.maxMsgsPerSubject,
    duplicate_window: opts.dupeWindow === undefined ? undefined : opts.dupeWindow * NS_PER_MS,
    discard: opts.discard,
    max_consumers: opts.maxConsumers,
    deny_delete: opts.denyDelete,
    deny_purge: opts.denyPurge,
    allow_rollup_hdrs: opts.allowRollup,
    allow_direct: opts.allowDirect,
  };
  const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { ...file, ...given } as Partial<StreamConfig>;
}
