// What one serve instance knows of the timeline: the materialized view in the bucket
// (shared by every instance on the stream) plus, in memory, the newest tweets, kept
// current by following the stream from where the view's recent list stood. One instance
// at a time (the lease holder) also writes the view. A purge or trim of the stream (or
// the stream recreated) makes the writer build a new generation from what the stream
// still holds, then switch every instance to it. Damage to the bucket (untrusted input)
// is repaired the same way while serving; memory then counts from the stream itself.
// The parts are this folder's other files (docs/development.md maps them); this file
// ties them together on a one-second tick.

import type { Connection } from "../../nats/connection.js";
import { followStream, streamState, type Follower } from "../../nats/follow.js";
import { CliError, ExitCode } from "../../errors.js";
import type { TimelineBucket } from "../../nats/timeline-bucket.js";
import { SseHub } from "../sse.js";
import { eventOf, tweetDetail, type TweetDetail, type TweetSummary } from "./model.js";
import type { TimelineState } from "./condition.js";
import { isHead, isRecentList, timelineKeys, type RecentList, type TimelineHead } from "./keys.js";
import { Generations } from "./generations.js";
import { LeaseKeeper } from "./lease.js";
import { rebuildReason } from "./leadership.js";
import { TimelineMemory } from "./memory.js";
import { olderTweets } from "./paging.js";
import { natsSource, Writing } from "./writing.js";
import { StallWatch } from "./stall.js";
import { Tail } from "./tail.js";
import { readinessOf, type Boot, type Readiness } from "./readiness.js";
import { sleep } from "../../util/time.js";

const TICK_MS = 1000;
/** A stream whose limits remove its oldest messages gets its view rebuilt this often at most. */
const TRIM_REBUILD_MS = 60_000;

export interface TimelineDeps {
  conn: Connection;
  stream: string;
  bucket: TimelineBucket;
  /** this instance's name (the lease owner) */
  owner: string;
  /** the start of this instance's consumer names */
  namePrefix: string;
  warn(text: string): void;
  /** progress while the view is built (the port is open meanwhile: /readyz) */
  progress(text: string): void;
}

export class Timeline {
  readonly memory = new TimelineMemory();
  readonly hub = new SseHub(() => this.memory.cursor);
  private readonly gens: Generations;
  private readonly lease: LeaseKeeper;
  private readonly writing: Writing;
  private readonly stall: StallWatch;
  private readonly tail: Tail;
  /** memory's reading of the stream */
  private follower: Follower | undefined;
  private rebuiltAt = 0;
  /** while waiting for another instance's writer: where its head stood */
  private waitedSeq = 0;
  /** the stream's last sequence at the previous tick */
  private seenLastSeq = 0;
  private tick: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private boot: Boot = { phase: "starting", of: 0 };

  constructor(private readonly deps: TimelineDeps) {
    const source = natsSource(deps.conn, deps.stream);
    this.gens = new Generations(deps.bucket, deps.warn, () => this.lease.holding, source.eventAt);
    const health = this.gens.health;
    this.lease = new LeaseKeeper({
      bucket: deps.bucket,
      owner: deps.owner,
      noteWrite: (err) => health.noteTimelineWrite(err),
    });
    this.writing = new Writing({
      ...deps,
      source,
      noteDamage: (err) => this.gens.noteDamage(err),
    });
    this.stall = new StallWatch(() => this.memory.cursor);
    this.tail = new Tail(deps.conn, deps.stream);
    this.memory.onApplied((a) => this.hub.publish(a.seq, a.event));
    this.memory.onApplied((a) => this.writing.feed(a));
  }

  get tweetCount(): number {
    return this.memory.tweets;
  }

  get totalLikes(): number {
    return this.memory.likes;
  }

  get lastSeq(): number {
    return this.memory.cursor;
  }

  get isWriter(): boolean {
    return this.writing.writer !== undefined;
  }

  /** reader, catching-up, caught-up, fed or rebuilding (src/serve/timeline/leadership.ts) */
  get leadership(): string {
    return this.writing.leadership;
  }

  /** /readyz: whether reads are answered exactly yet, and how far the start got */
  get readiness(): Readiness {
    const seq = this.boot.phase === "waiting" ? this.waitedSeq : this.memory.cursor;
    return readinessOf(this.boot, this.writing.progress, seq);
  }

  /** the view's bulk batches written again acked (src/nats/bucket-writes.ts) */
  get buildFallbacks(): number {
    return this.deps.bucket.bulkFallbacks;
  }
  get generation(): number {
    return this.gens.gen;
  }

  get condition(): TimelineState {
    return this.gens.health.state;
  }

  /** How a publish through this instance ended (`err` undefined: stored), for /healthz. */
  notePublished(err?: unknown): void {
    this.gens.health.notePublished(err);
  }

  /**
   * Brings the view up to the stream's end as it is now (building it if there is none,
   * or taking it over from where it stopped), loads the newest tweets and follows the
   * stream. Resolves false when `interrupted` came first.
   */
  async start(interrupted: Promise<unknown>): Promise<boolean> {
    // renewed on its own timer: a long first build must not lose it
    this.lease.keep(TICK_MS);
    const ready = this.catchUp().catch((err: unknown) => {
      // a limit reached (exit 5): say which writes it refused
      if (!(err instanceof CliError) || err.exitCode !== ExitCode.Conflict) throw err;
      throw new CliError(
        `cannot write the view's bucket ${this.deps.bucket.name}: ${err.message}`,
        ExitCode.Conflict,
      );
    });
    const ok = await Promise.race([ready.then(() => true), interrupted.then(() => false)]);
    if (!ok) {
      ready.catch(() => undefined);
      return false;
    }
    this.boot = { phase: "ready" };
    this.tick = setInterval(() => {
      this.ticking = this.ticking
        .then(() => this.onTick())
        .catch((err: unknown) => {
          // a tick cut short by stopping (NATS unreachable) is not news
          if (this.stopped) return;
          this.deps.warn(`view: ${err instanceof Error ? err.message : String(err)}`);
        });
    }, TICK_MS);
    return true;
  }

  /** Newest first, `limit` tweets stored before `before`; older ones from the stream and bucket. */
  async page(
    limit: number,
    before = Infinity,
  ): Promise<{ tweets: TweetSummary[]; total: number; lastSeq: number }> {
    // before the view is up to date: the newest page from the stream's tail (./tail.ts)
    if (this.boot.phase !== "ready") return this.tail.timeline(limit, before);
    // the newest tweets and the totals as of the follower's position, read together
    const lastSeq = this.memory.cursor;
    const total = this.memory.tweets;
    const window = this.memory.window;
    const tweets = window.timeline(limit, before);
    const reached = tweets.length > 0 ? tweets[tweets.length - 1]!.seq : before;
    const olderFrom = Math.min(reached, window.coversFrom);
    if (tweets.length < limit && window.coversFrom > 1) {
      const deps = { ...this.deps, record: (id: string) => this.gens.record(id) };
      tweets.push(...(await olderTweets(deps, olderFrom, limit - tweets.length)));
    }
    return { tweets, total, lastSeq };
  }

  async tweet(id: string): Promise<TweetDetail | undefined> {
    const rec = this.memory.window.get(id) ?? (await this.gens.record(id));
    return rec ? tweetDetail(rec) : undefined;
  }

  /** Resolves once the stream was followed up to `seq` (a client reads back its own write). */
  waitForSeq(seq: number, ms: number): Promise<void> {
    return this.memory.waitForSeq(seq, ms);
  }

  /**
   * The like count of `id` now that the like stored at `seq` is in the stream (exact unless
   * no writer applied it within a second; then the count before it plus this one).
   */
  async likesAfter(id: string, seq: number): Promise<number> {
    const inMemory = this.memory.window.get(id);
    if (inMemory) return inMemory.likes;
    return this.gens.likesOnceApplied(id, seq);
  }

  /** Resolves once `id` is known (or after `ms`). */
  async waitForTweet(id: string, ms: number): Promise<TweetDetail | undefined> {
    await this.memory.waitForTweet(id, ms);
    return this.tweet(id).catch(() => undefined);
  }

  /** Stops following and writing; the writer saves where it stood and gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tick);
    await this.lease.halt();
    await this.ticking.catch(() => undefined);
    this.hub.closeAll();
    await this.follower?.stop();
    await this.writing.stop(true);
    await this.lease.release();
  }

  /** Until this instance has what the stream held when it started (writing it, or waiting). */
  private async catchUp(): Promise<void> {
    const state = await streamState(this.deps.conn, this.deps.stream);
    const of = state.last_seq;
    this.gens.gen = await this.gens.current();
    for (;;) {
      if (this.stopped) return;
      const held = await this.lease.refresh();
      const full = this.gens.health.full;
      if (full) throw new CliError(full, ExitCode.Conflict);
      if (held) {
        this.boot = { phase: "building", of };
        await this.becomeWriter(true);
        break;
      }
      this.boot = { phase: "waiting", of };
      // another instance writes it: wait until it has what the stream held when we started
      const gen = this.gens.gen;
      const head = await this.gens.readChecked(() =>
        this.deps.bucket.get(timelineKeys(gen).head, isHead),
      );
      this.waitedSeq = head?.value.building ?? head?.value.cursor ?? 0;
      if (head && head.value.cursor >= state.last_seq) break;
      this.deps.progress(
        `Waiting for the instance that maintains the view (${head?.value.cursor ?? 0} of ${state.last_seq})…`,
      );
      await sleep(250);
      this.gens.gen = await this.gens.current();
    }
    this.boot = { phase: "loading", of };
    await this.loadMemory();
  }

  private async becomeWriter(wait: boolean): Promise<void> {
    const state = await streamState(this.deps.conn, this.deps.stream);
    const keys = timelineKeys(this.gens.gen);
    const head = (await this.gens.readChecked(() => this.deps.bucket.get(keys.head, isHead)))
      ?.value;
    // any message removed counts here: a writer starting over has nothing to spare
    const stale = head !== undefined && rebuildReason(head, state, Infinity, Infinity, 0);
    if (stale || this.gens.health.damage) return this.rebuild(state);
    try {
      await this.writing.begin(this.gens.gen, state, wait);
    } catch (err) {
      if (!this.gens.noteDamage(err)) throw err;
      await this.rebuild(state);
    }
  }

  /** Builds generation gen+1 from what the stream holds, then switches every instance to it. */
  private async rebuild(state: Awaited<ReturnType<typeof streamState>>): Promise<void> {
    const next = await this.writing.rebuild(this.gens.gen, state);
    if (next === undefined) return;
    this.gens.gen = next;
    this.rebuiltAt = Date.now();
    this.gens.health.repairedBy(next, true);
  }

  /** Every second: keep or take the lease, notice a purge, follow a new generation. */
  private async onTick(): Promise<void> {
    if (this.stopped) return;
    if (this.stall.stalled(this.follower !== undefined)) await this.checkStall();
    let gen: number;
    try {
      gen = await this.gens.current();
    } catch (err) {
      await this.gens.recreateBucket(err);
      gen = this.gens.gen;
      await this.lease.refresh();
    }
    const holding = this.lease.holding;
    if (gen !== this.gens.gen) {
      // another instance rebuilt the view (or this one did): start over from it
      await this.writing.stop(false);
      this.gens.gen = gen;
      // a new generation repairs what was found in older ones
      this.gens.health.repairedBy(gen, false);
      await this.loadMemory();
    } else if (!this.follower) {
      await this.loadMemory();
    }
    if (!holding) return this.writing.stop(false);
    if (!this.gens.health.damage) await this.gens.repairRequested();
    const writer = this.writing.writer;
    if (!writer) {
      const was = this.gens.gen;
      await this.becomeWriter(false);
      // it found damage and built a new generation
      if (this.gens.gen !== was) await this.loadMemory();
      return;
    }
    const state = await streamState(this.deps.conn, this.deps.stream);
    // keys can go (a purge, a delete) under the writer, which reads them seldom
    const stored = await this.gens.readChecked(() =>
      this.deps.bucket.get(writer.keys.head, isHead),
    );
    if (!stored) this.gens.noteDamage(`${writer.keys.head} is missing`);
    const seenLast = this.seenLastSeq;
    this.seenLastSeq = state.last_seq;
    // the writer may have stopped meanwhile (its reading failed): the next tick starts another
    const due =
      this.gens.health.damage ||
      (this.writing.writer === writer &&
        rebuildReason(writer.head, state, seenLast, Date.now() - this.rebuiltAt, TRIM_REBUILD_MS));
    if (due) {
      await this.rebuild(state);
      await this.loadMemory();
    }
  }

  /** Memory stood still while the stream grew: read again (see ./stall.ts). */
  private async checkStall(): Promise<void> {
    const followed = this.memory.cursor;
    const state = await streamState(this.deps.conn, this.deps.stream).catch(() => undefined);
    if (!state || !this.stall.grewPast(state.last_seq)) return;
    this.deps.warn(
      `view: reading the stream stalled at sequence ${followed} while it grew to ${state.last_seq}; reading it again`,
    );
    // not waiting for it to catch up: should it stall too, the next ticks see it
    await this.loadMemory(false);
  }

  /** `wait`: resolves once memory caught up with the stream (not when replacing a stalled one) */
  private async loadMemory(wait = true): Promise<void> {
    const { head, recent } = await this.memoryStart();
    const from = (recent?.cursor ?? head?.first_seq ?? 1) + (recent ? 1 : 0);
    const previous = this.follower;
    this.follower = undefined;
    // a stalled follower may never end its pull: not waited for long (its messages are
    // ignored from here on: they belong to another window)
    await Promise.race([
      previous?.stop().catch(() => undefined),
      new Promise((r) => setTimeout(r, 2_000).unref()),
    ]);
    const window = this.memory.reset({
      records: recent?.tweets ?? [],
      coversFrom: recent?.covers_from ?? 0,
      tweets: head?.tweets ?? 0,
      likes: head?.likes ?? 0,
      countedTo: head?.cursor ?? 0,
      cursor: from - 1,
    });
    const follower = await followStream(this.deps.conn, this.deps.stream, {
      fromSeq: from,
      namePrefix: this.deps.namePrefix,
      onMessage: (m) => this.memory.apply(window, m.seq, eventOf(m)),
    });
    this.follower = follower;
    follower.ended.catch((err: unknown) => {
      if (this.follower !== follower) return;
      // the next tick starts over from the view
      this.follower = undefined;
      this.deps.warn(
        `view: following the stream stopped (${err instanceof Error ? err.message : String(err)}); restarting`,
      );
    });
    if (wait) await Promise.race([follower.caughtUp, follower.ended]);
  }

  /**
   * The head and recent list memory starts from. Anything damaged, or not fitting the
   * stream, and memory starts from the stream's first message instead (counting
   * everything itself), while the writer builds a new generation.
   */
  private async memoryStart(): Promise<{ head?: TimelineHead; recent?: RecentList }> {
    const keys = timelineKeys(this.gens.gen);
    const read = this.gens.readChecked.bind(this.gens);
    const head = (await read(() => this.deps.bucket.get(keys.head, isHead)))?.value;
    const recent = (await read(() => this.deps.bucket.get(keys.recent, isRecentList)))?.value;
    const last = (await streamState(this.deps.conn, this.deps.stream)).last_seq;
    const misfit =
      (head && head.cursor > last) ||
      (recent && (recent.cursor > last || (head !== undefined && recent.cursor > head.cursor)));
    if (misfit) this.gens.noteDamage(`${keys.head} or ${keys.recent} does not fit the stream`);
    return this.gens.health.damage ? {} : { head, recent };
  }
}
