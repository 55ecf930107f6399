// Writing natscli contexts the way natscontext's file backend does: one JSON file per
// context in $XDG_CONFIG_HOME/nats/context/ (directory 0700, file 0600, written to a
// temporary file and renamed, so a reader never sees half a file), the selection in
// nats/context.txt and the one before it in nats/previous-context.txt. Fields tweetstream
// does not use are kept as they are.

import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { usageError } from "../errors.js";
import { embedValue } from "./credentials.js";
import {
  contextExists,
  contextPath,
  natsConfigDir,
  selectedContextName,
  unknownContext,
} from "./nats-context.js";

/** A context file's JSON as stored: natscli's field names, everything kept. */
export type RawContext = Record<string, unknown>;

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code ?? "unwritable";
    throw usageError(`cannot write ${path} (${code})`);
  }
}

/**
 * A new context as natscontext marshals one: every field of its settings, in its order,
 * empty ones included (what `nats context save` writes).
 */
function newRawContext(): RawContext {
  const empty = (fields: string[]) => Object.fromEntries(fields.map((f) => [f, ""]));
  return {
    ...empty(["description", "url", "socks_proxy", "token", "user", "password", "creds"]),
    ...empty(["nkey", "cert", "key", "ca", "nsc", "jetstream_domain", "jetstream_api_prefix"]),
    ...empty(["jetstream_event_prefix", "inbox_prefix", "user_jwt", "user_seed", "color_scheme"]),
    tls_first: false,
    ...empty(["windows_cert_store", "windows_cert_match_by", "windows_cert_match"]),
    windows_ca_certs_match: null,
  };
}

/** The stored JSON of a context, or natscontext's empty one for a new name. */
export function readRawContext(name: string): RawContext {
  if (!contextExists(name)) return newRawContext();
  const path = contextPath(name);
  try {
    const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (raw && typeof raw === "object" && !Array.isArray(raw)) return raw as RawContext;
  } catch {
    // reported below
  }
  throw usageError(`context ${path} is not a JSON object; fix or remove it first`);
}

/** The fields natscli's `context add --embed` stores inline (data:;base64,…). */
const EMBEDDED_FIELDS = ["creds", "nkey", "user_jwt", "user_seed"] as const;

/** Saves a context (natscli's MarshalIndent: two spaces), embedding its files if asked. */
export async function saveContext(name: string, raw: RawContext, embed = false): Promise<string> {
  const path = contextPath(name);
  const out: RawContext = { ...raw };
  delete out.name;
  if (embed) {
    for (const field of EMBEDDED_FIELDS) {
      const value = out[field];
      if (typeof value === "string" && value !== "")
        out[field] = await embedValue(value, field, `context "${name}" field ${field}`);
    }
  }
  writeAtomic(path, JSON.stringify(out, null, "  ") + "\n");
  return path;
}

function writeSelection(file: string, name: string): void {
  writeAtomic(join(natsConfigDir(), file), name);
}

/** Selects `name` (which must exist); the one selected before becomes the previous one. */
export function selectContext(name: string): string | undefined {
  if (!contextExists(name)) throw unknownContext(name);
  const before = selectedContextName();
  if (before !== undefined) writeSelection("previous-context.txt", before);
  writeSelection("context.txt", name);
  return before;
}

/** Clears the selection; returns what was selected. */
export function unselectContext(): string | undefined {
  const before = selectedContextName();
  if (before !== undefined) writeSelection("previous-context.txt", before);
  // natscontext removes the file rather than emptying it
  rmSync(join(natsConfigDir(), "context.txt"), { force: true });
  return before;
}

export function removeContext(name: string): void {
  if (!contextExists(name)) throw unknownContext(name);
  if (selectedContextName() === name) unselectContext();
  rmSync(contextPath(name));
}
