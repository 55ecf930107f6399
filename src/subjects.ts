// The --subject a user typed (view, listen, stream purge): resolved against the stream
// (short forms mean <STREAM>.<token>), and a near miss of an event type refused with
// the right spelling, since a typo would otherwise quietly match nothing.

import { usageError } from "./errors.js";
import { MESSAGE_TYPES, resolveSubject } from "./events.js";

/** Levenshtein distance, for spotting near misses. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The event type `token` is a misspelling of, if it is one (close to one, not equal). */
export function misspelledEventType(token: string): string | undefined {
  if ((MESSAGE_TYPES as readonly string[]).includes(token)) return undefined;
  const lower = token.toLowerCase();
  return MESSAGE_TYPES.find((t) => lower === t || editDistance(lower, t) <= 2);
}

/** `--subject` resolved for `stream`; a misspelt event type is exit 2 naming the right one. */
export function resolveSubjectOption(stream: string, input: string): string {
  const subject = resolveSubject(stream, input);
  const tokens = subject.split(".");
  const last = tokens[tokens.length - 1]!;
  const right = misspelledEventType(last);
  if (right) {
    const fixed = input.includes(".") ? [...tokens.slice(0, -1), right].join(".") : right;
    throw usageError(
      `unknown subject ${subject}: did you mean --subject ${fixed}? ` +
        `(the events are ${MESSAGE_TYPES.join(" and ")}, on ${stream}.<type>)`,
    );
  }
  return subject;
}

/** Whether some subject matches both patterns (`*` one token, `>` the rest). */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === ">" || q === ">") return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return false;
    if (p !== "*" && q !== "*" && p !== q) return false;
  }
  return true;
}

/**
 * Exit 2 when `subject` can match nothing `stream` stores (its subjects `stored`), naming
 * them: a subject of another stream would otherwise quietly match nothing.
 */
export function checkSubjectInStream(subject: string, stream: string, stored: string[]): void {
  if (stored.length === 0 || stored.some((s) => subjectsOverlap(subject, s))) return;
  throw usageError(
    `stream ${stream} stores no subject matching ${subject} (its subjects: ${stored.join(", ")})`,
  );
}
