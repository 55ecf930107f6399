// Stream management on the JetStream manager: add (idempotent, never changes an
// existing stream), list, info, remove, purge. Returns plain data (StreamSummary);
// rendering lives in output/streams.ts.

import type { JetStreamManager, StreamConfig, StreamInfo } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { JsErr, jsErrorCode, toCliError } from "./errors.js";

const NS_PER_MS = 1_000_000;

export interface StreamSpec {
  name: string;
  subjects: string[];
  description: string;
  /**
   * The description was asked for (--description): an existing stream must have it. Without
   * it, any description is fine, so `stream add` accepts a stream the article's Go AddStream
   * created (name and subjects only).
   */
  descriptionGiven?: boolean;
  storage: "file" | "memory";
  replicas: number;
  /** ms; 0 = unlimited */
  maxAgeMs: number;
  /** -1 = unlimited */
  maxMsgs: number;
  /** -1 = unlimited */
  maxBytes: number;
  /** ms; undefined = the server's default (2m) */
  dupeWindowMs?: number;
  /** when a limit is reached: drop the oldest messages, or refuse new ones (full stream) */
  discard?: "old" | "new";
}

/** A stream as tweetstream shows it (the `--json` shape of ls, info and add). */
export interface StreamSummary {
  name: string;
  description: string;
  subjects: string[];
  created: string;
  messages: number;
  bytes: number;
  first_seq: number;
  last_seq: number;
  first_ts: string | null;
  last_ts: string | null;
  consumers: number;
  storage: string;
  replicas: number;
  retention: string;
  max_age_ms: number;
  max_msgs: number;
  max_bytes: number;
  duplicate_window_ms: number;
}

/** Servers before 2.10 report "0001-01-01T00:00:00Z" for "no message yet". */
export function realTimestamp(ts: string | undefined): string | null {
  if (!ts || ts.startsWith("0001-01-01")) return null;
  return ts;
}

export function summarize(info: StreamInfo): StreamSummary {
  const c = info.config;
  const s = info.state;
  return {
    name: c.name,
    description: c.description ?? "",
    subjects: c.subjects ?? [],
    created: info.created,
    messages: s.messages,
    bytes: s.bytes,
    first_seq: s.first_seq,
    last_seq: s.last_seq,
    first_ts: s.messages > 0 ? realTimestamp(s.first_ts) : null,
    last_ts: s.last_seq > 0 ? realTimestamp(s.last_ts) : null,
    consumers: s.consumer_count,
    storage: String(c.storage),
    replicas: c.num_replicas,
    retention: String(c.retention),
    max_age_ms: Math.round(c.max_age / NS_PER_MS),
    max_msgs: c.max_msgs,
    max_bytes: c.max_bytes,
    duplicate_window_ms: Math.round((c.duplicate_window ?? 0) / NS_PER_MS),
  };
}

function toConfig(spec: StreamSpec): Partial<StreamConfig> {
  const config: Partial<StreamConfig> = {
    name: spec.name,
    subjects: spec.subjects,
    description: spec.description,
    storage: spec.storage as StreamConfig["storage"],
    num_replicas: spec.replicas,
    max_age: spec.maxAgeMs * NS_PER_MS,
    max_msgs: spec.maxMsgs,
    max_bytes: spec.maxBytes,
  };
  if (spec.dupeWindowMs !== undefined) config.duplicate_window = spec.dupeWindowMs * NS_PER_MS;
  if (spec.discard !== undefined) config.discard = spec.discard as StreamConfig["discard"];
  return config;
}

/** The fields where an existing stream differs from the requested spec. */
export function configDifferences(existing: StreamConfig, spec: StreamSpec): string[] {
  const diffs: string[] = [];
  const want = toConfig(spec);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const check = (label: string, have: unknown, wanted: unknown) => {
    if (!same(have, wanted))
      diffs.push(`${label} is ${JSON.stringify(have)}, requested ${JSON.stringify(wanted)}`);
  };
  check("subjects", [...(existing.subjects ?? [])].sort(), [...spec.subjects].sort());
  if (spec.descriptionGiven) check("description", existing.description ?? "", spec.description);
  check("storage", existing.storage, want.storage);
  check("replicas", existing.num_replicas, want.num_replicas);
  check("max age (ns)", existing.max_age, want.max_age);
  check("max msgs", existing.max_msgs, want.max_msgs);
  check("max bytes", existing.max_bytes, want.max_bytes);
  if (want.discard !== undefined) check("discard", existing.discard, want.discard);
  if (want.duplicate_window !== undefined) {
    check("duplicate window (ns)", existing.duplicate_window, want.duplicate_window);
  }
  return diffs;
}

export async function findStream(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (jsErrorCode(err) === JsErr.StreamNotFound) return null;
    throw toCliError(err, { stream: name, phase: "request" });
  }
}

export async function getStream(jsm: JetStreamManager, name: string): Promise<StreamSummary> {
  const info = await findStream(jsm, name);
  if (!info) throw new CliError(`stream ${name} not found`, ExitCode.NotFound);
  return summarize(info);
}

/** Names of the streams whose subjects overlap any of `subjects`. */
async function overlappingStreams(jsm: JetStreamManager, subjects: string[]): Promise<string[]> {
  const names = new Set<string>();
  for (const subject of subjects) {
    for await (const info of jsm.streams.list(subject)) names.add(info.config.name);
  }
  return [...names].sort();
}

export interface AddResult {
  status: "created" | "exists";
  stream: StreamSummary;
}

/**
 * Creates the stream, or confirms it exists with the same configuration.
 * A different configuration or overlapping subjects is a conflict (exit 5);
 * an existing stream is never changed.
 */
export async function addStream(jsm: JetStreamManager, spec: StreamSpec): Promise<AddResult> {
  const existing = await findStream(jsm, spec.name);
  if (existing) return compareExisting(existing, spec);
  try {
    const info = await jsm.streams.add(toConfig(spec));
    return { status: "created", stream: summarize(info) };
  } catch (err) {
    const code = jsErrorCode(err);
    if (code === JsErr.StreamSubjectOverlap) {
      const others = await overlappingStreams(jsm, spec.subjects).catch(() => []);
      const which = others.length > 0 ? `stream ${others.join(", ")}` : "another stream";
      throw new CliError(
        `subjects ${spec.subjects.join(", ")} overlap with ${which}; choose other --subjects`,
        ExitCode.Conflict,
      );
    }
    if (code === JsErr.StreamNameInUse) {
      // created concurrently by someone else: judge against what is there now
      const now = await findStream(jsm, spec.name);
      if (now) return compareExisting(now, spec);
    }
    throw toCliError(err, { stream: spec.name, phase: "request" });
  }
}

function compareExisting(existing: StreamInfo, spec: StreamSpec): AddResult {
  const diffs = configDifferences(existing.config, spec);
  if (diffs.length > 0) {
    throw new CliError(
      `stream ${spec.name} already exists with a different configuration: ${diffs.join("; ")}`,
      ExitCode.Conflict,
    );
  }
  return { status: "exists", stream: summarize(existing) };
}

export async function listStreams(jsm: JetStreamManager): Promise<StreamSummary[]> {
  const out: StreamSummary[] = [];
  try {
    for await (const info of jsm.streams.list()) out.push(summarize(info));
  } catch (err) {
    throw toCliError(err, { phase: "request" });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function removeStream(jsm: JetStreamManager, name: string): Promise<void> {
  try {
    await jsm.streams.delete(name);
  } catch (err) {
    throw toCliError(err, { stream: name, phase: "request" });
  }
}

/** Purges the stream (or only `subject`); returns how many messages were removed. */
export async function purgeStream(
  jsm: JetStreamManager,
  name: string,
  subject?: string,
): Promise<number> {
  try {
    const r = await jsm.streams.purge(name, subject ? { filter: subject } : undefined);
    return r.purged;
  } catch (err) {
    throw toCliError(err, { stream: name, phase: "request" });
  }
}
