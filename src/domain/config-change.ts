// A configuration compared with a request (stream add and edit, consumer add): the fields
// that differ, and the conflict that carries them. The NATS layer finds a conflict and throws
// it as data (ConfigConflictError); output/streams.ts puts it in words (describeConfigConflict)
// for cli.ts, the one place an error is printed.

import { CliError, ExitCode } from "../errors.js";

/** One field where a stream's configuration differs from a request. */
export interface ConfigChange {
  field: string;
  from: unknown;
  to: unknown;
}

function sameValue(field: string, a: unknown, b: unknown): boolean {
  if (field === "subjects" && Array.isArray(a) && Array.isArray(b)) {
    return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  }
  if (field === "description") return (a ?? "") === (b ?? "");
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields of `requested` (other than the name) that differ in `existing`: a stream's
 * or a consumer's configuration.
 */
export function configChanges(existing: object, requested: object): ConfigChange[] {
  const have = existing as Record<string, unknown>;
  const changes: ConfigChange[] = [];
  for (const [field, to] of Object.entries(requested)) {
    if (field === "name" || field === "durable_name" || to === undefined) continue;
    if (!sameValue(field, have[field], to)) changes.push({ field, from: have[field], to });
  }
  return changes;
}

/**
 * Why a configuration was not applied: `exists`, a stream or consumer is already there with
 * other values (add never changes one); `refused`, the server would not make the changes
 * (edit), for `reason`, with its API `errCode`.
 */
export type ConfigConflict =
  | {
      kind: "exists";
      entity: "stream" | "consumer";
      name: string;
      stream: string;
      changes: ConfigChange[];
    }
  | { kind: "refused"; name: string; changes: ConfigChange[]; reason: string; errCode?: number };

/** A conflict, exit 5; its words are output/'s (describeConfigConflict). */
export class ConfigConflictError extends CliError {
  constructor(readonly conflict: ConfigConflict) {
    super(plainWords(conflict), ExitCode.Conflict);
    this.name = "ConfigConflictError";
  }
}

/** The raw form (API field names and values), for whoever reads `message` unrendered. */
function plainWords(c: ConfigConflict): string {
  const changes = c.changes
    .map((x) => `${x.field}: ${JSON.stringify(x.from)} → ${JSON.stringify(x.to)}`)
    .join("; ");
  return c.kind === "exists"
    ? `${c.entity} ${c.name} already exists with a different configuration: ${changes}`
    : `the server will not change stream ${c.name} (${changes}): ${c.reason}`;
}
