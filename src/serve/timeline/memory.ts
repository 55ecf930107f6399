// What one instance holds of the timeline in memory: the newest tweets (a RecentWindow),
// the totals and the cursor (the last stream sequence handed over, event or not). The
// follower applies each stored message here, in order; every new sequence raises one
// "applied" signal, which the SSE hub, the writer (fed by memory) and the
// read-your-write waits subscribe to. Totals are counted here and nowhere else. No I/O.

import type { TweetEvent } from "../../events.js";
import { RecentWindow, type TweetRecord } from "./model.js";

/** One new sequence applied to memory (`event` null: a message that is no tweet event). */
export interface Applied {
  seq: number;
  event: TweetEvent | null;
  /** the cursor before it: every message up to it was applied already */
  before: number;
}

/** Where memory starts: what the view's head and recent list say (empty: from the stream). */
export interface MemoryStart {
  records: TweetRecord[];
  coversFrom: number;
  tweets: number;
  likes: number;
  /** events up to this sequence are in `tweets` and `likes` */
  countedTo: number;
  /** the last sequence the follower will not read again */
  cursor: number;
}

type Listener = (a: Applied) => Promise<void> | undefined | void;

export class TimelineMemory {
  private win = new RecentWindow([], 0);
  private totals = { tweets: 0, likes: 0 };
  private countedTo = 0;
  private at = 0;
  private readonly listeners = new Set<Listener>();
  private readonly seqWaiters = new Set<{ seq: number; done: () => void }>();
  private readonly tweetWaiters = new Map<string, Set<() => void>>();

  get cursor(): number {
    return this.at;
  }

  get tweets(): number {
    return this.totals.tweets;
  }

  get likes(): number {
    return this.totals.likes;
  }

  /** The window in use (a follower applies to the window it was started with). */
  get window(): RecentWindow {
    return this.win;
  }

  /** Starts over from `start`; the cursor never moves back. Returns the new window. */
  reset(start: MemoryStart): RecentWindow {
    this.win = new RecentWindow(start.records, start.coversFrom);
    this.totals = { tweets: start.tweets, likes: start.likes };
    this.countedTo = start.countedTo;
    if (start.cursor > this.at) this.at = start.cursor;
    return this.win;
  }

  /** Calls `fn` for every new sequence applied; returns the unsubscribe. */
  onApplied(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Applies a followed message to `window` (ignored when memory started over since). The
   * listeners' promises (the writer's batch) are handed back: the follower waits for them.
   */
  apply(window: RecentWindow, seq: number, event: TweetEvent | null): Promise<void> | undefined {
    if (window !== this.win) return undefined;
    if (event) {
      const isNew = window.apply(seq, event);
      if (seq > this.countedTo) {
        this.countedTo = seq;
        if (event.messageType === "tweet_liked") this.totals.likes++;
        else if (isNew === 1 || window.get(event.id)?.tweet?.seq === seq) this.totals.tweets++;
      }
    }
    const before = this.at;
    let waits: Array<Promise<void>> | undefined;
    if (seq > before) {
      this.at = seq;
      for (const fn of this.listeners) {
        const p = fn({ seq, event, before });
        if (p) (waits ??= []).push(p);
      }
    }
    for (const w of this.seqWaiters) if (w.seq <= seq) w.done();
    if (event?.messageType === "tweet_created") {
      const woken = this.tweetWaiters.get(event.id);
      if (woken) for (const wake of woken) wake();
    }
    if (!waits) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** Resolves once memory has applied `seq` (a client reads back its own write), or after `ms`. */
  waitForSeq(seq: number, ms: number): Promise<void> {
    if (this.at >= seq) return Promise.resolve();
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

  /** Resolves once tweet `id` was applied, or after `ms` (then with false). */
  waitForTweet(id: string, ms: number): Promise<boolean> {
    if (this.win.get(id)?.tweet) return Promise.resolve(true);
    return new Promise((resolve) => {
      const set = this.tweetWaiters.get(id) ?? new Set();
      this.tweetWaiters.set(id, set);
      const finish = (found: boolean) => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.tweetWaiters.delete(id);
        resolve(found);
      };
      const wake = () => finish(true);
      const timer = setTimeout(() => finish(false), ms);
      set.add(wake);
    });
  }
}
