// Whether this instance answers reads exactly yet (GET /readyz), and if not how far its
// start got: building the view (this instance writes it), waiting for the instance that
// writes it, or loading the newest tweets. The port opens before any of it (issue 20):
// probes and the page get an answer at once. Pure.

/** What /readyz answers (`view`: the sequence reached of the stream's last at the start). */
export type Readiness =
  { ready: true } | { ready: false; reason: string; view: { seq: number; of: number } };

/** Where the start stands (`of`: the stream's last sequence when it began). */
export type Boot =
  { phase: "starting" | "building" | "waiting" | "loading"; of: number } | { phase: "ready" };

const REASONS = {
  starting: "starting",
  building: "building the view",
  waiting: "waiting for the instance that writes the view",
  loading: "loading the newest tweets",
} as const;

/**
 * `built`: the writer's own progress while it catches up; `seq`: otherwise how far the
 * start got (the other writer's head while waiting, memory's cursor while loading).
 */
export function readinessOf(
  boot: Boot,
  built: { seq: number; of: number } | undefined,
  seq: number,
): Readiness {
  if (boot.phase === "ready") return { ready: true };
  if (built) return { ready: false, reason: REASONS.building, view: built };
  const of = boot.of;
  // building, with the writer's own reading done: its last batch is being saved
  const at = boot.phase === "building" ? of : Math.min(seq, of);
  return { ready: false, reason: REASONS[boot.phase], view: { seq: at, of } };
}
