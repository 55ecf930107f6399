// listen's pulls, on one inbox: a subscription made once per run, and each pull a request
// published to the consumer's MSG.NEXT subject with a reply subject on that inbox, as
// nats.js's consume() does (its fetch() subscribes, asks and unsubscribes per pull, three
// socket writes, and builds a timeout Error for each). The server fills the requests in
// turn without saying which one a message answers, so what is counted is the total still
// to come ("outstanding"): the batches asked for, less what arrived, less what a request's
// end says it will not bring (a 408 or 409 status with Nats-Pending-Messages). At most two
// pulls are outstanding: the one being read and the next, asked for near its end when the
// backlog can fill both, never more than one window (WINDOW messages) together with what
// arrived and was not read yet: no more is in flight when a stop comes. A status refusing
// the pulls (no responders, the consumer deleted, a bad request, a request over the
// consumer's limits) is a failure, shaped as nats.js shapes it (errors.ts classifies it);
// pulls that nothing answers by the time they expire (a lost connection, a silent server)
// are given up: nothing is outstanding any more.

import type { Msg, NatsConnection, Subscription } from "nats";
import { randomBytes } from "node:crypto";
import { natsError } from "./errors.js";
import { PulledMessage } from "./pulled.js";

/** Most messages pulled but not yet read at any time: what a stop may have to hand back. */
export const WINDOW = 256;
/** The next pull is asked for when this many messages of the one being read are still to come. */
export const AHEAD = WINDOW / 2;
/** Pulls still unanswered this long after they expired (and after the last message) are given up. */
const GRACE_MS = 1_000;
const PENDING_MESSAGES = "Nats-Pending-Messages";

interface Request {
  token: number;
  asked: number;
  /** when the server ends it (expires) */
  ends: number;
}

export class Pulls {
  /** size of the next pull: from 1 doubling up to WINDOW with slowStart, else WINDOW */
  private size: number;
  private readonly inbox: string;
  private readonly sub: Subscription;
  private readonly encoder = new TextEncoder();
  /** requests not known to be over, oldest first (pruned once they expired) */
  private requests: Request[] = [];
  private token = 0;
  /** statuses answering requests up to this token are of pulls given up: ignored */
  private forgotten = 0;
  /** arrived, not read yet: queue[head…] */
  private queue: PulledMessage[] = [];
  private head = 0;
  private failure: Error | null = null;
  private waiter: ((arrived: boolean) => void) | null = null;
  /** set by cutOff(): nothing is asked for any more */
  private cut = false;
  private closed = false;
  /** when a message or status last arrived, and when the last request expires */
  private lastSign = 0;
  private lastEnds = 0;
  private timer: NodeJS.Timeout | undefined;
  /** messages asked for and neither arrived nor given up */
  outstanding = 0;
  /** the pulls ended by bringing all they asked for: the backlog may hold more */
  full = false;

  constructor(
    private readonly nc: NatsConnection,
    /** $JS.API, or the domain's or the imported API's prefix */
    private readonly apiPrefix: string,
    private readonly stream: string,
    inboxPrefix: string,
    slowStart: boolean,
  ) {
    this.size = slowStart ? 1 : WINDOW;
    this.inbox = `${inboxPrefix}.${randomBytes(11).toString("hex")}.`;
    this.sub = nc.subscribe(`${this.inbox}*`, {
      // the inbox may not be subscribed to (permissions): nothing will come
      callback: (err, m) => (err ? this.fail(err) : this.arrive(m)),
    });
    void this.sub.closed.then(() => {
      if (!this.closed) this.fail(natsError("connection closed", "CONNECTION_CLOSED"));
    });
  }

  /** how big the next pull would be (before --count caps it) */
  get nextSize(): number {
    return this.size;
  }

  /** messages arrived and not read yet */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** messages pulled and not read yet: outstanding, and arrived but not taken */
  get unread(): number {
    return this.outstanding + this.queue.length - this.head;
  }

  /**
   * Asks `consumer` for a pull of at most the current size, `needed`, and what the window
   * has room for beside what is pulled and not read; returns how many were asked for (0:
   * none).
   */
  ask(consumer: string, needed: number, expiresMs: number): number {
    const asked = Math.min(this.size, needed, WINDOW - this.unread);
    if (asked <= 0 || this.cut || this.failure) return 0;
    this.size = Math.min(WINDOW, this.size * 2);
    const token = ++this.token;
    const now = Date.now();
    this.prune(now);
    this.requests.push({ token, asked, ends: now + expiresMs });
    this.outstanding += asked;
    this.full = false;
    this.lastEnds = now + expiresMs;
    const body = `{"batch":${asked},"expires":${expiresMs * 1_000_000}}`;
    this.nc.publish(
      `${this.apiPrefix}.CONSUMER.MSG.NEXT.${this.stream}.${consumer}`,
      this.encoder.encode(body),
      { reply: this.inbox + token },
    );
    this.timer ??= setTimeout(() => this.watch(), expiresMs + GRACE_MS).unref();
    return asked;
  }

  /** the next message arrived, if any */
  take(): PulledMessage | undefined {
    if (this.head >= this.queue.length) return undefined;
    const m = this.queue[this.head++];
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return m;
  }

  /** throws the failure that ended the pulls, once */
  throwIfFailed(): void {
    const err = this.failure;
    if (err) {
      this.failure = null;
      throw err;
    }
  }

  /**
   * Resolves true once a message, the end of the pulls or a failure arrived; with `soon`,
   * false when none did while the I/O already received was handled (nothing is waiting).
   */
  arrival(soon: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      let immediate: NodeJS.Immediate | undefined;
      this.waiter = (arrived) => {
        clearImmediate(immediate);
        this.waiter = null;
        resolve(arrived);
      };
      if (soon) immediate = setImmediate(() => this.waiter?.(false));
    });
  }

  /** forgets every pull outstanding (what they still bring is read as it comes) */
  giveUp(): void {
    this.forgotten = this.token;
    this.requests = [];
    this.outstanding = 0;
    this.full = false;
    this.wake();
  }

  /** a stop: gives up every pull, and asks for no more */
  cutOff(): void {
    this.cut = true;
    this.giveUp();
  }

  /** the end of the run: what still arrived and was not read, to be handed back */
  close(): PulledMessage[] {
    if (this.closed) return [];
    this.closed = true;
    clearTimeout(this.timer);
    this.sub.unsubscribe();
    const left = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return left;
  }

  private wake(): void {
    this.waiter?.(true);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.giveUp();
  }

  private arrive(m: Msg): void {
    this.lastSign = Date.now();
    // a status answers a request on its own reply subject; a message carries its ack subject
    if (!m.reply) return this.status(m);
    const pulled = PulledMessage.from(m, this.nc);
    if (!pulled) return;
    this.queue.push(pulled);
    if (this.outstanding > 0 && --this.outstanding === 0) {
      this.full = true;
      this.requests = [];
    }
    this.wake();
  }

  private status(m: Msg): void {
    const h = m.headers;
    const code = h?.code ?? 0;
    const token = Number(m.subject.slice(this.inbox.length));
    if (code === 100 || !(token > this.forgotten)) return; // a heartbeat; a pull given up
    const at = this.requests.findIndex((r) => r.token === token);
    const request = at >= 0 ? this.requests.splice(at, 1)[0] : undefined;
    const description = (h?.description ?? "").toLowerCase();
    const left = h?.get(PENDING_MESSAGES);
    if (left) {
      // it ended (expired, or cut short) without bringing this many
      this.outstanding = Math.max(0, this.outstanding - Number(left));
    } else if (
      code === 400 ||
      code === 503 ||
      (code === 409 && description !== "leadership change")
    ) {
      // refused: the consumer deleted (or its stream), a request over the consumer's limits
      // (max batch, max expires, max waiting), a push consumer: asking again at once would
      // be refused again
      return this.fail(natsError(code === 503 ? "no responders" : description, String(code)));
    } else if (request || code === 408 || code === 404 || code === 409) {
      // it ended without saying what it did not bring: no more than the requests still
      // open can bring is outstanding
      const open = this.requests.reduce((n, r) => n + r.asked, 0);
      this.outstanding = Math.min(this.outstanding, open);
    }
    if (this.outstanding === 0) this.requests = [];
    this.wake();
  }

  /** drops the requests that expired a while ago: their end has come or been lost */
  private prune(now: number): void {
    let i = 0;
    while (i < this.requests.length && this.requests[i]!.ends + GRACE_MS < now) i++;
    if (i > 0) this.requests = this.requests.slice(i);
  }

  /** pulls nothing answered by the time they expired (and a grace after the last message) */
  private watch(): void {
    this.timer = undefined;
    if (this.outstanding === 0 || this.closed) return;
    const due = Math.max(this.lastEnds, this.lastSign) + GRACE_MS;
    const now = Date.now();
    if (now >= due) this.giveUp();
    else this.timer = setTimeout(() => this.watch(), due - now).unref();
  }
}
