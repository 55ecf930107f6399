// Stream management on the JetStream manager: add (idempotent, never changes an
// existing stream), edit (changes only what is asked), list, info, remove, purge.
// Returns the server's StreamInfo; `apiStreamInfo` is its --json shape (what the
// JetStream API sends and natscli prints); rendering lives in output/streams.ts.

import type { JetStreamManager, StreamConfig, StreamInfo } from "nats";
import { CliError, ExitCode } from "../errors.js";
import { ConfigConflictError, configChanges, type ConfigChange } from "../domain/config-change.js";
import { JsErr, jsErrorCode, toCliError, withApiCode } from "./errors.js";

/** The server said the stream does not exist (err_code 10059): exit 4. */
export function streamNotFound(name: string): CliError {
  const notFound = new CliError(
    withApiCode(`stream ${name} not found`, JsErr.StreamNotFound),
    ExitCode.NotFound,
  );
  notFound.errCode = JsErr.StreamNotFound; // for --json's error object
  return notFound;
}

/** A requested stream configuration: the API's fields (durations in ns), name required. */
export type StreamRequest = Partial<StreamConfig> & { name: string };

/** The keys of the API's StreamInfo, in natscli's order (`nats stream info --json`). */
const STREAM_INFO_KEYS = [
  "config",
  "created",
  "state",
  "cluster",
  "mirror",
  "sources",
  "alternates",
  "ts",
] as const;

/**
 * StreamInfo as the JetStream API defines it, without the response envelope (type,
 * paging). `did_create` is true when this run created the stream (as nats-server ≥ 2.10
 * reports it; set here for every server).
 */
export function apiStreamInfo(info: StreamInfo, didCreate = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = info as unknown as Record<string, unknown>;
  for (const key of STREAM_INFO_KEYS) if (source[key] !== undefined) out[key] = source[key];
  if (didCreate) out.did_create = true;
  return out;
}

export async function findStream(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (jsErrorCode(err) === JsErr.StreamNotFound) return null;
    throw toCliError(err, { stream: name, phase: "request" });
  }
}

export async function getStream(jsm: JetStreamManager, name: string): Promise<StreamInfo> {
  const info = await findStream(jsm, name);
  if (!info) throw streamNotFound(name);
  return info;
}

/** Names of the streams whose subjects overlap any of `subjects`. */
async function overlappingStreams(jsm: JetStreamManager, subjects: string[]): Promise<string[]> {
  const names = new Set<string>();
  for (const subject of subjects) {
    for await (const info of jsm.streams.list(subject)) names.add(info.config.name);
  }
  return [...names].sort();
}

async function overlapError(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
): Promise<CliError> {
  const others = (await overlappingStreams(jsm, subjects).catch(() => [])).filter(
    (n) => n !== name,
  );
  const which = others.length > 0 ? `stream ${others.join(", ")}` : "another stream";
  return new CliError(
    withApiCode(
      `subjects ${subjects.join(", ")} overlap with ${which}; choose other --subjects`,
      JsErr.StreamSubjectOverlap,
    ),
    ExitCode.Conflict,
  );
}

export interface AddResult {
  status: "created" | "exists";
  info: StreamInfo;
}

/**
 * Creates the stream, or confirms it exists with the same configuration.
 * A different configuration or overlapping subjects is a conflict (exit 5);
 * an existing stream is never changed (that is `editStream`).
 */
export async function addStream(jsm: JetStreamManager, request: StreamRequest): Promise<AddResult> {
  const existing = await findStream(jsm, request.name);
  if (existing) return compareExisting(existing, request);
  try {
    return { status: "created", info: await jsm.streams.add(request) };
  } catch (err) {
    const code = jsErrorCode(err);
    if (code === JsErr.StreamSubjectOverlap) {
      throw await overlapError(jsm, request.name, request.subjects ?? []);
    }
    if (code === JsErr.StreamNameInUse) {
      // created concurrently by someone else: judge against what is there now
      const now = await findStream(jsm, request.name);
      if (now) return compareExisting(now, request);
    }
    throw toCliError(err, { stream: request.name, phase: "request" });
  }
}

function compareExisting(existing: StreamInfo, request: StreamRequest): AddResult {
  const changes = configChanges(existing.config, request);
  if (changes.length > 0) {
    throw new ConfigConflictError({
      kind: "exists",
      entity: "stream",
      name: request.name,
      stream: request.name,
      changes,
    });
  }
  return { status: "exists", info: existing };
}

/**
 * Applies `changes` (computed by configChanges against `current`) to the stream. A change
 * the server refuses (storage, retention on older servers, replicas without a cluster,
 * overlapping subjects) is a conflict, exit 5, naming the change and the server's reason.
 */
export async function editStream(
  jsm: JetStreamManager,
  current: StreamInfo,
  changes: ConfigChange[],
): Promise<StreamInfo> {
  const name = current.config.name;
  const update: Record<string, unknown> = { ...current.config };
  for (const c of changes) update[c.field] = c.to;
  try {
    return await jsm.streams.update(name, update as Partial<StreamConfig>);
  } catch (err) {
    const code = jsErrorCode(err);
    if (code === JsErr.StreamSubjectOverlap) {
      throw await overlapError(jsm, name, (update.subjects as string[] | undefined) ?? []);
    }
    // the server answers a refused change with 400 or 500 and an err_code per cause
    // (10052 invalid config, 10053 update error, …): every such answer is a refusal
    const api = (err as { api_error?: { code: number; description: string } }).api_error;
    if (api && api.code !== 503 && code !== JsErr.StreamNotFound) {
      throw new ConfigConflictError({
        kind: "refused",
        name,
        changes,
        reason: api.description,
        errCode: code,
      });
    }
    throw toCliError(err, { stream: name, phase: "request" });
  }
}

/**
 * Streams JetStream keeps for its own features (key-value and object store buckets, MQTT
 * state): `stream ls` leaves them out unless --all, as natscli does (jsm.go IsInternalStream).
 */
const SYSTEM_STREAMS: ReadonlyArray<{ prefix: string; what: string }> = [
  { prefix: "KV_", what: "key-value buckets" },
  { prefix: "OBJ_", what: "object buckets" },
  { prefix: "$MQTT_", what: "MQTT state" },
];

export function isSystemStream(name: string): boolean {
  return systemStreamKind(name) !== undefined;
}

/** Why `name` is a system stream's ("KV_", "key-value buckets"), if it is one. */
export function systemStreamKind(name: string): { prefix: string; what: string } | undefined {
  return SYSTEM_STREAMS.find(({ prefix }) => name.startsWith(prefix));
}

export async function listStreams(jsm: JetStreamManager): Promise<StreamInfo[]> {
  const out: StreamInfo[] = [];
  try {
    for await (const info of jsm.streams.list()) out.push(info);
  } catch (err) {
    throw toCliError(err, { phase: "request" });
  }
  return out.sort((a, b) => a.config.name.localeCompare(b.config.name));
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
