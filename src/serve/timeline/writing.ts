// This instance's part in writing the view, while it holds the lease: a TimelineWriter and
// its own reading of the stream, moving through the states of ./leadership.ts (catching
// up, caught up, fed by memory, rebuilding the next generation). The timeline decides
// when to write and when to rebuild; this file does it.

import type { Connection } from "../../nats/connection.js";
import { followStream, streamState, type Follower, type FollowOptions } from "../../nats/follow.js";
import { TimelineDamage, type TimelineBucket } from "../../nats/timeline-bucket.js";
import { timelineEvent } from "../../events.js";
import { CURRENT_KEY, generationPrefix, isCurrent, type TimelineHead } from "./keys.js";
import {
  buildProgress,
  fed,
  feedStep,
  progressed,
  reachedEnd,
  reader,
  rebuilt,
  runOf,
  startRebuild,
  startWriting,
  type Leadership,
} from "./leadership.js";
import type { Applied } from "./memory.js";
import { TimelineWriter } from "./writer.js";
import type { EventAt } from "./tweet-index.js";
import { storedEventAt } from "../../nats/event-at.js";

/** How often the build's progress is noted (state) and said (stderr). */
const NOTE_EVERY_MS = 250;
const SAY_EVERY_MS = 500;

/** The stream as the writer reads it (the unit tests script one). */
export interface StreamSource {
  lastSeq(): Promise<number>;
  follow(opts: FollowOptions): Promise<Follower>;
  /** the event stored at a sequence (the id index's lookups) */
  eventAt: EventAt;
}

export function natsSource(conn: Connection, stream: string): StreamSource {
  return {
    lastSeq: async () => (await streamState(conn, stream)).last_seq,
    follow: (opts) => followStream(conn, stream, opts),
    eventAt: storedEventAt(conn, stream),
  };
}

export interface WritingDeps {
  source: StreamSource;
  stream: string;
  bucket: TimelineBucket;
  namePrefix: string;
  warn(text: string): void;
  progress(text: string): void;
  /** true when `err` is damage (noted: the next tick rebuilds) */
  noteDamage(err: unknown): boolean;
  /** new generations built fresh (./fresh-build.ts; the default) or writing every record */
  freshBuilds?: boolean;
}

export interface WriterRun {
  writer: TimelineWriter;
  /** the writer's own reading of the stream, until memory feeds it */
  follower: Follower;
}

/** What the writer needs of the stream's state when it starts. */
type StreamState = { created: string; first_seq: number };

/** The stream's first sequence (a stream that never held a message says 0: it will be 1). */
export function firstSeq(state: { first_seq: number }): number {
  return Math.max(1, state.first_seq);
}

export class Writing {
  private state: Leadership<WriterRun> = reader;

  constructor(private readonly deps: WritingDeps) {}

  get leadership(): Leadership<WriterRun>["kind"] {
    return this.state.kind;
  }

  get writer(): TimelineWriter | undefined {
    return runOf(this.state)?.writer;
  }

  /** While catching up or rebuilding: how far the writer's own reading got. */
  get progress(): { seq: number; of: number } | undefined {
    return buildProgress(this.state);
  }

  /** Starts writing generation `gen` from where it stands; `wait`: until the stream's end. */
  async begin(gen: number, stream: StreamState, wait: boolean): Promise<void> {
    const run = await this.open(gen, stream, false);
    if (wait) await this.caughtUp(run);
  }

  /**
   * Builds generation `old + 1` from what the stream holds and switches every instance to
   * it (`_current`); the new generation, or undefined when stopped half-way.
   */
  async rebuild(old: number, stream: StreamState): Promise<number | undefined> {
    if (this.state.kind === "rebuilding") return undefined;
    await this.stop(false);
    const next = old + 1;
    await this.deps.bucket.purgePrefix(generationPrefix(next));
    const run = await this.open(next, stream, true);
    await this.caughtUp(run);
    if (runOf(this.state) !== run) return undefined;
    const current = await this.deps.bucket.get(CURRENT_KEY, isCurrent).catch((err: unknown) => {
      // written over, whatever it holds
      if (err instanceof TimelineDamage) return { revision: err.revision };
      throw err;
    });
    await this.deps.bucket.write(CURRENT_KEY, { gen: next }, current?.revision ?? 0);
    this.state = rebuilt(this.state);
    await this.deps.bucket.purgePrefix(generationPrefix(old)).catch(() => undefined);
    return next;
  }

  /** A message memory applied: handed to the writer once it has everything before it. */
  feed(a: Applied): Promise<void> | undefined {
    const run = runOf(this.state);
    if (!run) return undefined;
    switch (feedStep(this.state, run.writer.queuedTo, a.before)) {
      case "skip":
        return undefined;
      case "restart":
        void this.stop(false);
        return undefined;
      case "take-over":
        this.state = fed(this.state);
        void run.follower.stop();
    }
    try {
      return run.writer.add(a.seq, a.event)?.catch((err: unknown) => {
        this.deps.noteDamage(err);
        return this.stop(false);
      });
    } catch (err) {
      // the writer failed: the next tick starts another one (a new generation on damage)
      this.deps.noteDamage(err);
      void this.stop(false);
      return undefined;
    }
  }

  /** Back to reading only; `save`: the writer saves where it stands first. */
  async stop(save: boolean): Promise<void> {
    const run = runOf(this.state);
    this.state = reader;
    if (!run) return;
    await run.follower.stop();
    if (save) await run.writer.flush({ recent: true }).catch(() => undefined);
    run.writer.close();
  }

  private async open(gen: number, stream: StreamState, rebuild: boolean): Promise<WriterRun> {
    const start: Pick<TimelineHead, "stream_created" | "first_seq"> = {
      stream_created: stream.created,
      first_seq: firstSeq(stream),
    };
    const { bucket, source, freshBuilds } = this.deps;
    const of = await source.lastSeq();
    const writer = await TimelineWriter.open(bucket, gen, start, {
      eventAt: source.eventAt,
      fresh: freshBuilds,
      messages: Math.max(0, of - start.first_seq + 1),
    });
    let noted = 0;
    let said = 0;
    // messages may come before the follower is handed back: progress is noted from then on
    let run: WriterRun | undefined;
    const follower = await this.deps.source.follow({
      fromSeq: writer.head.cursor + 1,
      namePrefix: `${this.deps.namePrefix}view-`,
      // pulls of 512: at 1 000 000 events peak RSS 144–146 MiB against 151–156 with 1 024
      // (the same time; 256: 143–145 MiB, 15 % slower)
      batch: 512,
      onMessage: (m) => {
        const now = Date.now();
        if (now - noted > NOTE_EVERY_MS) {
          noted = now;
          if (run && runOf(this.state) === run) this.state = progressed(this.state, m.seq);
        }
        if (now - said > SAY_EVERY_MS) {
          said = now;
          this.deps.progress(`Building the view of stream ${this.deps.stream}: ${m.seq} of ${of}…`);
        }
        return writer.add(m.seq, timelineEvent(m.subject, m.data));
      },
    });
    const mine: WriterRun = (run = { writer, follower });
    const at = writer.head.cursor;
    this.state = rebuild ? startRebuild(mine, gen, at, of) : startWriting(mine, at, of);
    void follower.caughtUp.then(() => {
      if (runOf(this.state) === mine) this.state = reachedEnd(this.state);
    });
    follower.ended.catch((err: unknown) => {
      if (runOf(this.state) !== mine) return;
      // damage: the next tick builds a new generation
      if (!this.deps.noteDamage(err)) {
        const why = err instanceof Error ? err.message : String(err);
        this.deps.warn(`view: writing stopped (${why}); retrying`);
      }
      void this.stop(false);
    });
    return mine;
  }

  private async caughtUp(run: WriterRun): Promise<void> {
    await Promise.race([run.follower.caughtUp, run.follower.ended]);
    await run.writer.flush({ recent: true });
  }
}
