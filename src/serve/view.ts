// What one serve instance knows of the timeline: the materialized view in the bucket
// (shared by every instance on the stream) plus, in memory, the newest tweets, kept
// current by following the stream from where the view's recent list stood. One instance
// at a time (the lease holder) also writes the view; any instance takes over when the
// holder is gone. A purge or trim of the stream (or the stream recreated) makes the
// writer build a new generation of the view from what the stream still holds, then
// switch every instance to it. The bucket is untrusted input (anyone in the account may
// write there): a value that does not pass its check, a deleted key, a head that does not
// fit the stream, a purged or removed bucket are damage, repaired the same way (a new
// generation from the stream) while serving; memory then counts from the stream itself.

import { timelineEvent, type TweetEvent } from "../events.js";
import type { Connection } from "../nats/connection.js";
import { followStream, streamState, type Follower } from "../nats/follow.js";
import { CliError, ExitCode } from "../errors.js";
import {
  RevisionConflict,
  ViewDamage,
  viewLease,
  type Lease,
  type ViewBucket,
} from "../nats/view-bucket.js";
import type { StoredMessage } from "../output/events.js";
import { SseHub } from "./sse.js";
import {
  RecentWindow,
  tweetDetail,
  tweetView,
  type TweetDetail,
  type TweetRecord,
  type TweetView,
} from "./view-model.js";
import { HttpError } from "./http-error.js";
import { ViewCondition, type Damage, type ViewState } from "./view-condition.js";
import {
  CURRENT_KEY,
  isCurrent,
  isHead,
  isRecentList,
  isRecordOf,
  isRepair,
  LEASE_KEY,
  REPAIR_KEY,
  viewKeys,
  type RecentList,
  type ViewHead,
} from "./view-records.js";
import { ViewWriter } from "./view-writer.js";
const LEASE_TTL_MS = 5000;
const TICK_MS = 1000;
/** A stream whose limits remove its oldest messages gets its view rebuilt this often at most. */
const TRIM_REBUILD_MS = 60_000;
/** Memory that has not moved this long while the stream holds more is read again. */
const STALLED_MS = 5_000;

/** The stored message as an event (the shared parser, typed from the subject), or null. */
export function eventOf(m: StoredMessage): TweetEvent | null {
  return timelineEvent(m.subject, m.data);
}

export interface ViewDeps {
  conn: Connection;
  stream: string;
  bucket: ViewBucket;
  /** this instance's name (the lease owner) */
  owner: string;
  /** the start of this instance's consumer names */
  namePrefix: string;
  warn(text: string): void;
  /** progress while the view is built before listening */
  progress(text: string): void;
}

interface Running {
  writer: ViewWriter;
  /** the writer's own reading of the stream, until the memory follower feeds it */
  follower: Follower;
  /** the writer had what the stream held when it began */
  caughtUp: boolean;
  /** fed by the memory follower (its own follower stopped) */
  fed: boolean;
}

export class ServeView {
  readonly hub = new SseHub();
  private gen = 0;
  private window = new RecentWindow([], 0);
  private totals = { tweets: 0, likes: 0 };
  /** the view's head when memory was loaded: events up to it are in the totals */
  private countedTo = 0;
  private memory: Follower | undefined;
  private writing: Running | undefined;
  private rebuilding = false;
  private rebuiltAt = 0;
  /** damage found, the bucket or the account full: what /healthz says */
  private readonly health: ViewCondition;
  /** the stream's last sequence at the previous tick */
  private seenLastSeq = 0;
  /** where memory's follower stood, and since when (see checkMemoryMoves) */
  private memoryAt: { seq: number; since: number; streamLast?: number } = {
    seq: 0,
    since: Date.now(),
  };
  private readonly lease: Lease;
  private holding = false;
  private refreshing: Promise<boolean> | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private tick: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly seqWaiters = new Set<{ seq: number; done: () => void }>();

  constructor(private readonly deps: ViewDeps) {
    this.lease = viewLease(deps.bucket, LEASE_KEY, deps.owner, LEASE_TTL_MS);
    this.health = new ViewCondition(deps.warn);
  }

  get tweetCount(): number {
    return this.totals.tweets;
  }

  get totalLikes(): number {
    return this.totals.likes;
  }

  get lastSeq(): number {
    return this.hub.lastSeq;
  }

  get isWriter(): boolean {
    return this.writing !== undefined;
  }

  get generation(): number {
    return this.gen;
  }

  get condition(): ViewState {
    return this.health.state;
  }

  /** How a publish through this instance ended (`err` undefined: stored), for /healthz. */
  notePublished(err?: unknown): void {
    this.health.notePublished(err);
  }

  /**
   * Brings the view up to the stream's end as it is now (building it if there is none,
   * or taking it over from where it stopped), loads the newest tweets and follows the
   * stream. Resolves false when `interrupted` came first.
   */
  async start(interrupted: Promise<unknown>): Promise<boolean> {
    // renewed on its own timer: a long first build must not lose it
    this.leaseTimer = setInterval(() => void this.refreshLease(), TICK_MS);
    const ready = (async () => {
      const state = await streamState(this.deps.conn, this.deps.stream);
      this.gen = await this.currentGen();
      for (;;) {
        if (this.stopped) return;
        const held = await this.refreshLease();
        const full = this.health.full;
        if (full) throw new CliError(full, ExitCode.Conflict);
        if (held) {
          await this.becomeWriter(state.last_seq);
          break;
        }
        // another instance writes it: wait until it has what the stream held when we started
        const head = await this.readChecked(() =>
          this.deps.bucket.get(viewKeys(this.gen).head, isHead),
        );
        if (head && head.value.cursor >= state.last_seq) break;
        this.deps.progress(
          `Waiting for the instance that maintains the view (${head?.value.cursor ?? 0} of ${state.last_seq})…`,
        );
        await new Promise((r) => setTimeout(r, 250));
        this.gen = await this.currentGen();
      }
      await this.loadMemory();
    })().catch((err: unknown) => {
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
  async timeline(
    limit: number,
    before = Infinity,
  ): Promise<{ tweets: TweetView[]; total: number; lastSeq: number }> {
    // the newest tweets and the totals as of the follower's position, read together
    const lastSeq = this.hub.lastSeq;
    const total = this.totals.tweets;
    const tweets = this.window.timeline(limit, before);
    const reached = tweets.length > 0 ? tweets[tweets.length - 1]!.seq : before;
    const olderFrom = Math.min(reached, this.window.coversFrom);
    if (tweets.length < limit && this.window.coversFrom > 1) {
      tweets.push(...(await this.olderTweets(olderFrom, limit - tweets.length)));
    }
    return { tweets, total, lastSeq };
  }

  async tweet(id: string): Promise<TweetDetail | undefined> {
    const rec = this.window.get(id) ?? (await this.storedRecord(id));
    return rec ? tweetDetail(rec) : undefined;
  }

  /** Resolves once the stream was followed up to `seq` (a client reads back its own write). */
  waitForSeq(seq: number, ms: number): Promise<void> {
    if (this.hub.lastSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { seq, done: () => {} };
      const timer = setTimeout(() => waiter.done(), ms);
      waiter.done = () => {
        clearTimeout(timer);
        this.seqWaiters.delete(waiter);
        resolve();
      };
      this.seqWaiters.add(waiter);
    });
  }

  /**
   * The like count of `id` now that the like stored at `seq` is in the stream (exact unless
   * no writer applied it within a second; then the count before it plus this one).
   */
  async likesAfter(id: string, seq: number): Promise<number> {
    const inMemory = this.window.get(id);
    if (inMemory) return inMemory.likes;
    // an older tweet: its record, once the writer (this or another instance) applied the like
    const deadline = Date.now() + 1000;
    for (;;) {
      const rec = await this.storedRecord(id);
      if (!rec) return 1;
      if (rec.last_seq >= seq) return rec.likes;
      if (Date.now() > deadline) return rec.likes + 1;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves once `id` is known (or after `ms`). */
  waitForTweet(id: string, ms: number): Promise<TweetDetail | undefined> {
    return new Promise((resolve) => {
      const known = this.window.get(id);
      if (known?.tweet) return resolve(tweetDetail(known));
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(id);
        void this.tweet(id).then(resolve, () => resolve(undefined));
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  /** Stops following and writing; the writer saves where it stood and gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tick);
    clearInterval(this.leaseTimer);
    await this.refreshing;
    await this.ticking.catch(() => undefined);
    this.hub.closeAll();
    await this.memory?.stop();
    await this.stopWriter(true);
    await this.lease.release().catch(() => undefined);
  }

  // ---- the writer ---------------------------------------------------------------

  private async becomeWriter(waitUntilSeq?: number): Promise<void> {
    const state = await streamState(this.deps.conn, this.deps.stream);
    const keys = viewKeys(this.gen);
    const head = (await this.readChecked(() => this.deps.bucket.get(keys.head, isHead)))?.value;
    const stale =
      head !== undefined &&
      (head.stream_created !== state.created ||
        firstSeq(state) > head.first_seq ||
        state.last_seq < head.cursor);
    if (stale || this.health.damage) {
      await this.rebuild(state);
      return;
    }
    try {
      this.writing = await this.runWriter(this.gen, {
        stream_created: state.created,
        first_seq: firstSeq(state),
      });
      if (waitUntilSeq !== undefined) await this.writerCaughtUp(this.writing);
    } catch (err) {
      if (!this.noteDamage(err)) throw err;
      await this.rebuild(state);
    }
  }

  private async runWriter(
    gen: number,
    start: Pick<ViewHead, "stream_created" | "first_seq">,
  ): Promise<Running> {
    const writer = await ViewWriter.open(this.deps.bucket, gen, start);
    const total = (await streamState(this.deps.conn, this.deps.stream)).last_seq;
    let lastReport = 0;
    const follower = await followStream(this.deps.conn, this.deps.stream, {
      fromSeq: writer.head.cursor + 1,
      namePrefix: `${this.deps.namePrefix}view-`,
      batch: 1024,
      onMessage: (m) => {
        const now = Date.now();
        if (now - lastReport > 500) {
          lastReport = now;
          this.deps.progress(
            `Building the view of stream ${this.deps.stream}: ${m.seq} of ${total}…`,
          );
        }
        return writer.add(m.seq, eventOf(m));
      },
    });
    const running: Running = { writer, follower, caughtUp: false, fed: false };
    void follower.caughtUp.then(() => (running.caughtUp = true));
    follower.ended.catch((err: unknown) => {
      if (this.writing !== running) return;
      // damage: the next tick builds a new generation
      if (this.noteDamage(err)) return void this.stopWriter(false);
      this.deps.warn(
        `view: writing stopped (${err instanceof Error ? err.message : String(err)}); retrying`,
      );
      void this.stopWriter(false);
    });
    return running;
  }

  private async writerCaughtUp(running: Running): Promise<void> {
    await Promise.race([running.follower.caughtUp, running.follower.ended]);
    await running.writer.flush({ recent: true });
  }

  private async stopWriter(save: boolean): Promise<void> {
    const running = this.writing;
    this.writing = undefined;
    if (!running) return;
    await running.follower.stop();
    if (save) await running.writer.flush({ recent: true }).catch(() => undefined);
    running.writer.close();
  }

  /** Builds generation gen+1 from what the stream holds, then switches every instance to it. */
  private async rebuild(state: Awaited<ReturnType<typeof streamState>>): Promise<void> {
    if (this.rebuilding) return;
    this.rebuilding = true;
    try {
      await this.stopWriter(false);
      const old = this.gen;
      const next = old + 1;
      await this.deps.bucket.purgePrefix(`g${next}`);
      const running = await this.runWriter(next, {
        stream_created: state.created,
        first_seq: firstSeq(state),
      });
      // stop() stops it, also half-way
      this.writing = running;
      await this.writerCaughtUp(running);
      if (this.writing !== running) return;
      const current = await this.deps.bucket.get(CURRENT_KEY, isCurrent).catch((err: unknown) => {
        // written over, whatever it holds
        if (err instanceof ViewDamage) return { revision: err.revision };
        throw err;
      });
      await this.deps.bucket.write(CURRENT_KEY, { gen: next }, current?.revision ?? 0);
      this.gen = next;
      this.rebuiltAt = Date.now();
      this.health.repairedBy(next, true);
      await this.deps.bucket.purgePrefix(`g${old}`).catch(() => undefined);
    } finally {
      this.rebuilding = false;
    }
  }

  private refreshLease(): Promise<boolean> {
    this.refreshing ??= this.lease
      .refresh()
      .then(
        (held) => {
          this.health.noteViewWrite();
          return held;
        },
        (err: unknown) => {
          this.health.noteViewWrite(err);
          return this.holding;
        },
      )
      .then((held) => {
        this.refreshing = undefined;
        if (!this.stopped) this.holding = held;
        return held;
      });
    return this.refreshing;
  }

  /**
   * The generation in use. Damage (what `_current` holds is no generation, or it went
   * missing under a view in use: a purge) keeps the one this instance follows until the
   * writer switched every instance to a new one.
   */
  private async currentGen(): Promise<number> {
    const read = () => this.readChecked(() => this.deps.bucket.get(CURRENT_KEY, isCurrent));
    const current = await read();
    if (current) return current.value.gen;
    if (this.health.damage) return Math.max(this.gen, 1);
    if (this.gen > 0) {
      this.noteDamage(`${CURRENT_KEY} is missing (the bucket was purged)`);
      return this.gen;
    }
    try {
      await this.deps.bucket.write(CURRENT_KEY, { gen: 1 }, 0);
      return 1;
    } catch (err) {
      if (!(err instanceof RevisionConflict)) throw err;
      return (await read())?.value.gen ?? 1;
    }
  }

  /** The value `read` gives, or null when it is damaged (noted: the writer repairs it). */
  private async readChecked<T>(read: () => Promise<T | null>): Promise<T | null> {
    try {
      return await read();
    } catch (err) {
      if (!this.noteDamage(err)) throw err;
      return null;
    }
  }

  /** Notes damage (a ViewDamage or a reason); false when `err` is no damage. */
  private noteDamage(err: unknown): boolean {
    const found = this.health.noteDamage(err, this.gen);
    if (found === false) return false;
    // the writer may never read what this instance read: tell it
    if (found && !this.holding) void this.requestRepair(found).catch(() => undefined);
    return true;
  }

  private async requestRepair(damage: Damage): Promise<void> {
    const current = await this.deps.bucket.get(REPAIR_KEY, isRepair).catch((err: unknown) => {
      if (err instanceof ViewDamage) return { revision: err.revision };
      throw err;
    });
    await this.deps.bucket.write(REPAIR_KEY, damage, current?.revision ?? 0);
  }

  /** Damage another instance found in the generation in use (the writer repairs it). */
  private async repairRequested(): Promise<void> {
    // not itself damage: a rebuild would leave it as it is
    const asked = await this.deps.bucket.get(REPAIR_KEY, isRepair).catch((err: unknown) => {
      if (err instanceof ViewDamage) return null;
      throw err;
    });
    if (asked && asked.value.gen === this.gen) {
      this.noteDamage(`another instance found: ${asked.value.reason}`);
    }
  }

  /** The bucket was removed: created again (the view is then rebuilt), or `err` rethrown. */
  private async recreateBucket(err: unknown): Promise<void> {
    if (!(await this.deps.bucket.recreate())) throw err;
    this.noteDamage(`the bucket ${this.deps.bucket.name} was removed; created again`);
  }

  /** Every second: keep or take the lease, notice a purge, follow a new generation. */
  private async onTick(): Promise<void> {
    if (this.stopped) return;
    await this.checkMemoryMoves();
    let gen: number;
    try {
      gen = await this.currentGen();
    } catch (err) {
      await this.recreateBucket(err);
      gen = this.gen;
      await this.refreshLease();
    }
    const holding = this.holding;
    if (gen !== this.gen) {
      // another instance rebuilt the view (or this one did): start over from it
      await this.stopWriter(false);
      this.gen = gen;
      // a new generation repairs what was found in older ones
      this.health.repairedBy(gen, false);
      await this.loadMemory();
    } else if (!this.memory) {
      await this.loadMemory();
    }
    if (!holding) {
      if (this.writing) await this.stopWriter(false);
      return;
    }
    if (!this.health.damage) await this.repairRequested();
    const running = this.writing;
    if (!running) {
      const was = this.gen;
      await this.becomeWriter();
      // it found damage and built a new generation
      if (this.gen !== was) await this.loadMemory();
      return;
    }
    const state = await streamState(this.deps.conn, this.deps.stream);
    // keys can go (a purge, a delete) under the writer, which reads them seldom
    const stored = await this.readChecked(() =>
      this.deps.bucket.get(running.writer.keys.head, isHead),
    );
    if (!stored) this.noteDamage(`${running.writer.keys.head} is missing`);
    if (this.health.damage) {
      await this.rebuild(state);
      await this.loadMemory();
      return;
    }
    // the writer may have stopped meanwhile (its reading failed): the next tick starts another
    if (this.writing !== running) return;
    const head = running.writer.head;
    const seenLast = this.seenLastSeq;
    this.seenLastSeq = state.last_seq;
    const recreated = head.stream_created !== state.created || state.last_seq < head.cursor;
    const removed = firstSeq(state) > head.first_seq;
    // purged (or everything aged out): nothing stored a second ago is left
    const emptied = removed && firstSeq(state) > seenLast;
    // limits trimming the oldest messages: rebuilt now and then, not on every new event
    const trimDue = removed && Date.now() - this.rebuiltAt > TRIM_REBUILD_MS;
    if (recreated || emptied || trimDue) {
      await this.rebuild(state);
      await this.loadMemory();
    }
  }

  // ---- memory: the newest tweets, following the stream --------------------------

  /**
   * A follower whose reading stalled while the stream grew is replaced: every POST waits
   * for memory to reach its event, so a reader stuck in a way its own checks did not catch
   * (its consumer lost with a server restart, seen a few times in many runs) must not slow
   * every write for good. Memory standing still is normal (an idle stream, or a last message
   * purged, which no reader ever reaches); standing still while the stream's last sequence
   * grows past it is not. The stream is asked once per STALLED_MS of standing still.
   */
  private async checkMemoryMoves(): Promise<void> {
    const followed = this.hub.lastSeq;
    const now = Date.now();
    if (!this.memory || followed !== this.memoryAt.seq) {
      this.memoryAt = { seq: followed, since: now };
      return;
    }
    if (now - this.memoryAt.since < STALLED_MS) return;
    this.memoryAt.since = now;
    const state = await streamState(this.deps.conn, this.deps.stream).catch(() => undefined);
    if (!state || this.hub.lastSeq !== followed) return;
    const before = this.memoryAt.streamLast;
    this.memoryAt.streamLast = state.last_seq;
    if (before === undefined || state.last_seq <= Math.max(before, followed)) return;
    this.deps.warn(
      `view: reading the stream stalled at sequence ${followed} while it grew to ${state.last_seq}; reading it again`,
    );
    this.memoryAt = { seq: followed, since: now };
    // not waiting for it to catch up: should it stall too, the next ticks see it
    await this.loadMemory(false);
  }

  /** `wait`: resolves once memory caught up with the stream (not when replacing a stalled one) */
  private async loadMemory(wait = true): Promise<void> {
    const { head, recent } = await this.memoryStart();
    const window = new RecentWindow(recent?.tweets ?? [], recent?.covers_from ?? 0);
    const from = (recent?.cursor ?? head?.first_seq ?? 1) + (recent ? 1 : 0);
    const previous = this.memory;
    this.memory = undefined;
    // a stalled follower may never end its pull: not waited for long (its messages are
    // ignored from here on: they belong to another window)
    await Promise.race([
      previous?.stop().catch(() => undefined),
      new Promise((r) => setTimeout(r, 2_000).unref()),
    ]);
    this.window = window;
    this.totals = { tweets: head?.tweets ?? 0, likes: head?.likes ?? 0 };
    this.countedTo = head?.cursor ?? 0;
    this.hub.skipTo(from - 1);
    const follower = await followStream(this.deps.conn, this.deps.stream, {
      fromSeq: from,
      namePrefix: this.deps.namePrefix,
      onMessage: (m) => this.follow(window, m),
    });
    this.memory = follower;
    follower.ended.catch((err: unknown) => {
      if (this.memory !== follower) return;
      // the next tick starts over from the view
      this.memory = undefined;
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
  private async memoryStart(): Promise<{ head?: ViewHead; recent?: RecentList }> {
    const keys = viewKeys(this.gen);
    const head = (await this.readChecked(() => this.deps.bucket.get(keys.head, isHead)))?.value;
    const recent = (await this.readChecked(() => this.deps.bucket.get(keys.recent, isRecentList)))
      ?.value;
    const last = (await streamState(this.deps.conn, this.deps.stream)).last_seq;
    const misfit =
      (head && head.cursor > last) ||
      (recent && (recent.cursor > last || (head !== undefined && recent.cursor > head.cursor)));
    if (misfit) this.noteDamage(`${keys.head} or ${keys.recent} does not fit the stream`);
    return this.health.damage ? {} : { head, recent };
  }

  private follow(window: RecentWindow, m: StoredMessage): Promise<void> | undefined {
    if (window !== this.window) return undefined;
    const event = eventOf(m);
    const written = this.feedWriter(m.seq, event);
    this.apply(window, m.seq, event);
    for (const w of this.seqWaiters) if (w.seq <= m.seq) w.done();
    return written;
  }

  /**
   * Hands a followed message to this instance's writer once it has everything before it,
   * and stops the writer's own consumer: one reading (and decoding) of each event instead
   * of two. Should memory ever be ahead of the writer (it restarted from a recent list
   * another writer wrote), the writer starts over reading on its own.
   */
  private feedWriter(seq: number, event: TweetEvent | null): Promise<void> | undefined {
    const running = this.writing;
    if (!running?.caughtUp) return undefined;
    // memory has handled every message up to hub.lastSeq; this one comes next
    const contiguous = running.writer.queuedTo >= this.hub.lastSeq;
    if (!running.fed) {
      if (!contiguous) return undefined;
      running.fed = true;
      void running.follower.stop();
    } else if (!contiguous) {
      void this.stopWriter(false);
      return undefined;
    }
    try {
      return running.writer.add(seq, event)?.catch((err: unknown) => {
        this.noteDamage(err);
        return this.stopWriter(false);
      });
    } catch (err) {
      // the writer failed: the next tick starts another one (a new generation on damage)
      this.noteDamage(err);
      void this.stopWriter(false);
      return undefined;
    }
  }

  private apply(window: RecentWindow, seq: number, event: TweetEvent | null): void {
    if (!event) {
      this.hub.publish(seq, null);
      return;
    }
    const isNew = window.apply(seq, event);
    if (seq > this.countedTo) {
      this.countedTo = seq;
      if (event.messageType === "tweet_liked") this.totals.likes++;
      else if (isNew === 1 || window.get(event.id)?.tweet?.seq === seq) this.totals.tweets++;
    }
    this.hub.publish(seq, event);
    const w = event.messageType === "tweet_created" ? this.waiters.get(event.id) : undefined;
    if (w) for (const wake of w) wake();
  }

  // ---- reading what is not in memory ---------------------------------------------

  private async storedRecord(id: string): Promise<TweetRecord | undefined> {
    let rec;
    try {
      rec = await this.deps.bucket.get(viewKeys(this.gen).record(id), isRecordOf(id));
    } catch (err) {
      // no 500: damage is repaired (a removed bucket created again) within a rebuild
      const why = err instanceof Error ? err.message : String(err);
      const text = this.noteDamage(err)
        ? `the view is being repaired: ${why}`
        : `the view's bucket cannot be read: ${why}`;
      throw new HttpError(503, text, { "Retry-After": "1" });
    }
    return rec?.value.tweet ? rec.value : undefined;
  }

  /** Tweets stored before `before`, newest first: read from the stream, counts from the bucket. */
  private async olderTweets(before: number, limit: number): Promise<TweetView[]> {
    const state = await streamState(this.deps.conn, this.deps.stream);
    const found: Array<{ seq: number; id: string }> = [];
    let end = Math.min(before - 1, state.last_seq);
    let span = Math.max(limit * 4, 256);
    while (found.length < limit && end >= state.first_seq && state.messages > 0) {
      const start = Math.max(state.first_seq, end - span + 1);
      const chunk: Array<{ seq: number; id: string }> = [];
      await readRange(this.deps, start, end, (m) => {
        const e = eventOf(m);
        if (e?.messageType === "tweet_created") chunk.push({ seq: m.seq, id: e.id });
      });
      found.push(...chunk.reverse());
      end = start - 1;
      span *= 4;
    }
    const records = await Promise.all(found.map((f) => this.storedRecord(f.id)));
    const out: TweetView[] = [];
    for (let i = 0; i < found.length && out.length < limit; i++) {
      const rec = records[i];
      // a tweet id stored again later is shown once, at its first event
      if (rec?.tweet?.seq === found[i]!.seq) out.push(tweetView(rec)!);
    }
    return out;
  }
}

/** The stream's first sequence (a stream that never held a message says 0: it will be 1). */
function firstSeq(state: { first_seq: number }): number {
  return Math.max(1, state.first_seq);
}

/** Hands over every stored message from `from` to `to` (inclusive), then stops reading. */
async function readRange(
  deps: ViewDeps,
  from: number,
  to: number,
  onMessage: (m: StoredMessage) => void,
): Promise<void> {
  let reached!: () => void;
  const done = new Promise<void>((resolve) => (reached = resolve));
  const follower = await followStream(deps.conn, deps.stream, {
    fromSeq: from,
    namePrefix: `${deps.namePrefix}page-`,
    batch: Math.min(512, to - from + 1),
    onMessage: (m, pending) => {
      if (m.seq <= to) onMessage(m);
      if (m.seq >= to || pending === 0) reached();
    },
  });
  // caughtUp: at the stream's end, or nothing there to read
  await Promise.race([done, follower.caughtUp]);
  await follower.stop();
}
