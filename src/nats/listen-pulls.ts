// listen's pulls: bounded fetches, at most two outstanding: the one being read and the
// next, asked for near its end (AHEAD messages before it) when the backlog can fill both,
// so the server is already answering the next while one is written and acknowledged. The
// two together never ask for more than one window (WINDOW messages): no more is in flight
// when a stop comes. A stop cuts off every pull still open; what they bring is handed
// back by the reader.

import type { Consumer, ConsumerMessages } from "nats";

/** Most messages pulled but not yet read at any time: what a stop may have to hand back. */
export const WINDOW = 256;
/** The next pull is asked for when this many messages of the one being read are still to come. */
export const AHEAD = WINDOW / 4;

/** A fetch asked for: how many messages, from which consumer (by name). */
export interface Pull {
  messages: Promise<ConsumerMessages>;
  asked: number;
  consumer: string;
}

export class Pulls {
  /** size of the next pull: from 1 doubling up to WINDOW with slowStart, else WINDOW */
  private size: number;
  /** fetches the server may still be answering: what a stop cuts off */
  private readonly open = new Set<ConsumerMessages>();
  /** set by cutOff(): a pull that opens from now on is stopped at once */
  private cut = false;
  /** the next pull, asked for while the one being read still delivers */
  ahead: Pull | null = null;

  constructor(slowStart: boolean) {
    this.size = slowStart ? 1 : WINDOW;
  }

  /** how big the next pull would be (before --count caps it) */
  get nextSize(): number {
    return this.size;
  }

  /**
   * Asks for a pull of at most the current size, `needed`, and what the window has room
   * for beside `inFlight` (asked for by the pull being read, not yet received); null when
   * nothing is needed.
   */
  start(
    on: Consumer,
    consumer: string,
    needed: number,
    inFlight: number,
    expiresMs: number,
  ): Pull | null {
    const asked = Math.min(this.size, needed, WINDOW - inFlight);
    if (asked <= 0) return null;
    this.size = Math.min(WINDOW, this.size * 2);
    const messages = on.fetch({ max_messages: asked, expires: expiresMs }).then((m) => {
      this.open.add(m);
      if (this.cut) m.stop();
      return m;
    });
    // a pull asked for ahead may fail before it is read: that is seen when it is
    messages.catch(() => undefined);
    return { messages, asked, consumer };
  }

  /** the pull asked for ahead, if any, now to be read */
  takeAhead(): Pull | null {
    const pull = this.ahead;
    this.ahead = null;
    return pull;
  }

  /** a pull was read to its end */
  ended(m: ConsumerMessages): void {
    this.open.delete(m);
  }

  /** stops every open pull, and any that opens later */
  cutOff(): void {
    this.cut = true;
    for (const m of this.open) m.stop();
  }

  /** after a failure while stopping: the pull asked for ahead is not read (what it brought comes again after the ack wait) */
  dropAhead(): void {
    void this.ahead?.messages.then(
      (m) => m.stop(),
      () => undefined,
    );
    this.ahead = null;
  }
}
