// What is wrong with one serve instance's view, as /healthz says it: damage found in the
// bucket (repaired by a new generation), the bucket refusing the view's writes for want
// of room, or a publish through this instance refused for want of room. Each transition
// is one method; the warnings go to the operator once per episode. No I/O.

import { CliError, ExitCode } from "../../errors.js";
import { TimelineDamage } from "../../nats/timeline-bucket.js";
import { safeText } from "../../output/safe-text.js";

export type TimelineState =
  | { state: "ok" }
  /** damage found (why): a new generation is being built from the stream */
  | { state: "repairing"; reason: string }
  /** the account's JetStream storage (or a limit) refused writes */
  | { state: "full"; reason: string };

export interface Damage {
  /** the generation it was found in: a newer one repairs it */
  gen: number;
  reason: string;
}

/** A limit reached (exit 5): the stream, the bucket or the account has no room. */
export function isRoomRefused(err: unknown): err is CliError {
  return err instanceof CliError && err.exitCode === ExitCode.Conflict;
}

export class TimelineCondition {
  private found: Damage | undefined;
  /** why the view's last write was refused for want of room */
  private bucketFull: string | undefined;
  /** why the last event published through this instance was refused for want of room */
  private refused: string | undefined;

  constructor(private readonly warn: (text: string) => void) {}

  get state(): TimelineState {
    const full = this.bucketFull ?? this.refused;
    if (full) return { state: "full", reason: full };
    if (this.found) return { state: "repairing", reason: this.found.reason };
    return { state: "ok" };
  }

  get damage(): Damage | undefined {
    return this.found;
  }

  /** Why the bucket refuses the view's writes (undefined: it does not). */
  get full(): string | undefined {
    return this.bucketFull;
  }

  /**
   * Notes damage found in generation `gen` (a TimelineDamage or a reason); the new damage
   * when this is the first since the last repair, else undefined. False: `err` is no damage.
   */
  noteDamage(err: unknown, gen: number): Damage | undefined | false {
    const reason =
      typeof err === "string" ? err : err instanceof TimelineDamage ? err.message : undefined;
    if (reason === undefined) return false;
    if (this.found) return undefined;
    this.warn(`view: ${safeText(reason)}; building a new generation from the stream`);
    this.found = { gen, reason };
    return this.found;
  }

  /** Generation `gen` is in use: damage found in older ones is repaired. */
  repairedBy(gen: number, built: boolean): void {
    if (!this.found || this.found.gen >= gen) return;
    if (built) this.warn(`view: repaired (generation ${gen} built from the stream)`);
    this.found = undefined;
  }

  /** How a write of the view ended (`err` undefined: stored). */
  noteTimelineWrite(err?: unknown): void {
    if (err === undefined) {
      if (this.bucketFull) this.warn("view: the bucket takes writes again");
      this.bucketFull = undefined;
    } else if (isRoomRefused(err)) {
      if (!this.bucketFull) this.warn(`view: the bucket takes no writes: ${err.message}`);
      this.bucketFull = err.message;
    }
  }

  /** How a publish through this instance ended (`err` undefined: stored). */
  notePublished(err?: unknown): void {
    if (err === undefined) this.refused = undefined;
    else if (isRoomRefused(err)) this.refused = err.message;
  }
}
