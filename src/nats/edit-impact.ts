// What a stream edit does to the messages already stored, counted before it is applied,
// so the prompt, --dry-run and --json can say it: shrinking max messages, bytes, age or
// the per-subject limit removes messages; subjects left out of the configuration leave
// their messages stored but no longer taken (nats-server keeps them, 2.9 and 2.15 alike).

import type { StreamInfo } from "nats";
import { subjectsOverlap } from "../subjects.js";
import type { Connection } from "./connection.js";
import { toCliError } from "./errors.js";
import { countMatching } from "./messages.js";
import type { ConfigChange } from "../domain/config-change.js";
import { NS_PER_MS } from "../util/time.js";

/** A change's effect on stored messages. */
export interface ChangeImpact {
  /** messages the server removes when the change applies */
  removes?: number;
  /** true when `removes` is an estimate (max_bytes: from the mean message size) */
  estimated?: boolean;
  /** messages kept on subjects the stream no longer takes */
  orphaned?: number;
}

export type ImpactedChange = ConfigChange & ChangeImpact;

/** Positive limit below what is stored: how many over it. */
const over = (stored: number, limit: unknown): number =>
  typeof limit === "number" && limit > 0 && stored > limit ? stored - limit : 0;

/** Stored messages per subject (one request; the stream's subject counts). */
async function subjectCounts(conn: Connection, name: string): Promise<Record<string, number>> {
  try {
    const info = await (await conn.jsm()).streams.info(name, { subjects_filter: ">" });
    return (info.state.subjects ?? {}) as Record<string, number>;
  } catch (err) {
    throw toCliError(err, { stream: name, phase: "request" });
  }
}

async function impactOf(
  conn: Connection,
  info: StreamInfo,
  c: ConfigChange,
): Promise<ChangeImpact> {
  const s = info.state;
  if (s.messages === 0) return {};
  const name = info.config.name;
  switch (c.field) {
    case "max_msgs": {
      const removes = over(s.messages, c.to);
      return removes > 0 ? { removes } : {};
    }
    case "max_bytes": {
      const excess = over(s.bytes, c.to);
      if (excess === 0) return {};
      const mean = s.bytes / s.messages;
      return { removes: Math.min(s.messages, Math.ceil(excess / mean)), estimated: true };
    }
    case "max_age": {
      const ageMs = typeof c.to === "number" ? c.to / NS_PER_MS : 0;
      if (ageMs <= 0) return {};
      const since = new Date(Date.now() - ageMs).toISOString();
      const kept = await countMatching(conn, name, undefined, {
        deliver_policy: "by_start_time",
        opt_start_time: since,
      });
      const removes = s.messages - kept;
      return removes > 0 ? { removes } : {};
    }
    case "max_msgs_per_subject": {
      const counts = await subjectCounts(conn, name);
      const removes = Object.values(counts).reduce((sum, n) => sum + over(n, c.to), 0);
      return removes > 0 ? { removes } : {};
    }
    case "subjects": {
      const kept = Array.isArray(c.to) ? (c.to as string[]) : [];
      const counts = await subjectCounts(conn, name);
      const orphaned = Object.entries(counts)
        .filter(([subject]) => !kept.some((k) => subjectsOverlap(subject, k)))
        .reduce((sum, [, n]) => sum + n, 0);
      return orphaned > 0 ? { orphaned } : {};
    }
    default:
      return {};
  }
}

/** Each change with what it does to the messages `info` says are stored. */
export async function changeImpacts(
  conn: Connection,
  info: StreamInfo,
  changes: ConfigChange[],
): Promise<ImpactedChange[]> {
  return Promise.all(changes.map(async (c) => ({ ...c, ...(await impactOf(conn, info, c)) })));
}
