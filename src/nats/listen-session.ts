// One run of a listener (see listen.ts): its state as named fields, and its parts apart:
// the stop (stop), the pulls asked for (startPull, listen-pulls.ts), reading what they bring
// and writing it in bursts (read, flush), recovery after a failed pull (recover).

import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "nats";
import { ByteBurst } from "../util/bursts.js";
import { CliError, ExitCode } from "../errors.js";
import type { StoredMessage } from "../domain/stored-message.js";
import { createAckLedger, type AckLedger } from "./acks.js";
import type { Connection } from "./connection.js";
import { natsErrorCode, toCliError } from "./errors.js";
import { ATTEMPT_MS, ConsumerSession, natsConsumerServer } from "./consumer-session.js";
import {
  afterEmptyPull,
  afterFailedPull,
  type ListenOptions,
  type StopReason,
} from "./listen-consumer.js";
import { AHEAD, Pulls, WINDOW } from "./listen-pulls.js";
import { jsApiSubjectPrefix } from "./manager.js";
import { confirmationsOn } from "./listen-confirmations.js";
import { consumerConfig, toStoredMessage } from "./messages.js";
import type { PulledMessage } from "./pulled.js";
import { retryBudgetMs } from "./retry.js";
import { reportConnectionEvents } from "./status.js";

/** Longest a pull waits on the server; also how fast a lost pull is noticed and replaced. */
const PULL_MS = 5_000;
/** On a stop, how long the pulls in progress may take to end by themselves (see stop()). */
const STOP_WAIT_MS = 2_000;
/** Pause before pulling again after a failure (cut short by a stop). */
const RETRY_MS = 1_000;

export interface ListenResult {
  written: number;
  /** acks that no consumer leader confirmed within the budget (the events come again) */
  unconfirmed: number;
  reason: StopReason;
  consumer: string;
}

export interface ListenHooks {
  /** one message as the text to write (with its newline); may warn about it */
  render(msg: StoredMessage): string;
  /** writes rendered messages out (UTF-8); resolves false when they could not be (stdout
   *  closed). The bytes are the burst's buffer: not to be kept once the write completed */
  write(bytes: Uint8Array): Promise<boolean>;
  /** the consumer is ready (name, whether it resumed an existing durable) */
  ready?(consumer: string, resumed: boolean): void;
  /** a warning for the user: lost connection, retries */
  warn(text: string): void;
  /** a note for the user: reconnected */
  info(text: string): void;
}

export class ListenSession {
  /** the consumer read from (an ephemeral one gets a new name when recreated), observed
   *  through its session's probe; listen makes it (listen-consumer.ts) */
  private readonly consumerSession: ConsumerSession;
  private get name(): string {
    return this.consumerSession.name;
  }
  /** its acks, confirmed */
  private ledger: AckLedger;
  /** highest consumer (delivery) sequence received; what was delivered before this run is not on its way */
  private received: number;
  private readonly pulls: Pulls;
  /** rendered, not yet written: carried from one pull to the next asked for ahead of it */
  private readonly burst = new ByteBurst<PulledMessage>();
  /** messages written (and acknowledged), and the stream sequence of the last */
  private written = 0;
  private lastSeq = 0;
  /** why the run stops; null while it runs */
  private stopping: StopReason | null = null;
  private stopTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleDeadline = 0;
  /** a failure was reported and not yet followed by a good pull */
  private troubled = false;
  /** ends the pause after a failure early (a stop) */
  private wake: (() => void) | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly jsm: JetStreamManager,
    private readonly opts: ListenOptions,
    private readonly hooks: ListenHooks,
    /** what a recreated ephemeral consumer is made from */
    private readonly config: Partial<ConsumerConfig>,
    info: ConsumerInfo,
  ) {
    this.consumerSession = ConsumerSession.observing(
      natsConsumerServer(conn, opts.stream),
      info.name,
    );
    this.received = info.delivered.consumer_seq;
    this.ledger = this.newLedger(info);
    this.pulls = new Pulls(
      conn.nc,
      jsApiSubjectPrefix(conn.settings),
      opts.stream,
      conn.settings.inboxPrefix ?? "_INBOX",
      opts.slowStart ?? false,
    );
  }

  get consumerName(): string {
    return this.name;
  }

  private newLedger(info: ConsumerInfo): AckLedger {
    const { nc, settings } = this.conn;
    return createAckLedger(nc, this.jsm, {
      stream: this.opts.stream,
      consumer: () => this.name,
      initial: info,
      confirmations: confirmationsOn(nc, settings.inboxPrefix ?? "_INBOX", settings.timeoutMs),
      budgetMs: this.opts.ackBudgetMs ?? retryBudgetMs(this.conn.settings.timeoutMs),
      warn: this.hooks.warn,
    });
  }

  // On a signal (or stdout closing) the pulls in progress are not cut off at once: the
  // server may be about to send them (slow under load), and what reaches the inbox once the
  // run unsubscribed is dropped by the client while the server counts it as delivered, so
  // it would come again only after the ack wait. A pull may end by itself (all it asked
  // for delivered: a backlog) for up to STOP_WAIT_MS; pulls still waiting on an idle stream
  // are cut off then, or at once when the server says it has nothing left to send and all
  // it sent arrived. What they bring is handed back (nak) once they ended, so that nothing
  // is redelivered into the same pull; what still arrives before the run unsubscribes, too.
  stop(reason: StopReason): void {
    if (this.stopping) return;
    this.stopping = reason;
    clearTimeout(this.idleTimer);
    if (reason === "idle") this.pulls.cutOff();
    else {
      this.stopTimer = setTimeout(() => this.pulls.cutOff(), STOP_WAIT_MS).unref();
      void this.jsm.consumers.info(this.opts.stream, this.name).then(
        (ci) => {
          if (ci.num_pending === 0 && ci.delivered.consumer_seq <= this.received)
            this.pulls.cutOff();
        },
        () => undefined,
      );
    }
    this.wake?.();
  }

  private armIdle(): void {
    const { idleMs } = this.opts;
    if (idleMs === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleDeadline = Date.now() + idleMs;
    this.idleTimer = setTimeout(() => this.stop("idle"), idleMs);
  }

  /** `why`: the old one was removed by the server, or its server does not answer */
  private async recreateEphemeral(why: "removed" | "silent"): Promise<void> {
    const { stream } = this.opts;
    const resume =
      this.lastSeq > 0
        ? { deliver_policy: "by_start_sequence", opt_start_seq: this.lastSeq + 1 }
        : {};
    const info = await this.jsm.consumers.add(
      stream,
      consumerConfig({ ...this.config, ...resume }),
    );
    if (why === "silent") void this.jsm.consumers.delete(stream, this.name).catch(() => undefined);
    this.consumerSession.adopt(info.name);
    this.received = info.delivered.consumer_seq;
    // what the old one was asked for is not waited for (what it still sends is handed back)
    this.pulls.giveUp();
    // the acks of the removed consumer cannot be confirmed any more; its events are not
    // redelivered to the new one, which starts after them
    this.ledger.close();
    this.ledger = this.newLedger(info);
    this.hooks.warn(
      `the ephemeral consumer ${why === "removed" ? "was removed by the server" : "no longer answers (its server was lost)"}; continuing with a new one after sequence ${this.lastSeq}`,
    );
  }

  /**
   * Asks for a pull: no more than --count still needs beyond the `unwritten` on their way,
   * and no more than the window holds beside what is outstanding. Returns how many.
   */
  private startPull(unwritten: number): number {
    const { count, idleMs } = this.opts;
    const needed = count === undefined ? WINDOW : count - this.written - unwritten;
    const untilIdle = idleMs === undefined ? PULL_MS : this.idleDeadline - Date.now();
    const expires = Math.min(PULL_MS, Math.max(1_000, untilIdle));
    return this.pulls.ask(this.name, needed, expires);
  }

  /** Writes a burst, then acknowledges it; a burst stdout refused is handed back. */
  private async flush(burst: ByteBurst<PulledMessage>, handBack: PulledMessage[]): Promise<void> {
    if (burst.length === 0) return;
    const { bytes, items } = burst.take();
    if (!(await this.hooks.write(bytes))) {
      handBack.push(...items);
      this.stop("stdout");
      return;
    }
    this.written += items.length;
    await this.ledger.acknowledge(items);
    this.lastSeq = items[items.length - 1]!.info.streamSequence;
    if (this.opts.count !== undefined && this.written >= this.opts.count) this.stop("count");
  }

  /**
   * Reads what the pulls bring until nothing is outstanding. Messages are rendered into a
   * burst while more are already waiting in the client, and the burst is written in one go
   * (then acknowledged) when none is. A pull that brought all it asked for is followed by
   * the next at once (there may be more); once a pipe's slow start is over the burst goes
   * on into it (fewer, larger writes), else it is written first. Returns how many messages
   * came.
   */
  private async read(): Promise<number> {
    const { pulls, burst } = this;
    /** pulled after a stop: handed back once the pulls ended */
    const handBack: PulledMessage[] = [];
    let got = 0;
    try {
      for (;;) {
        const m = pulls.take();
        if (m === undefined) {
          pulls.throwIfFailed();
          if (pulls.outstanding === 0) {
            const more = pulls.full && !this.stopping && this.startPull(burst.length) > 0;
            if (more && pulls.nextSize === WINDOW) continue;
            break;
          }
          // only when nothing is waiting in the client may the next take a while
          if (burst.length === 0) await pulls.arrival(false);
          else if (!(await pulls.arrival(true))) await this.flush(burst, handBack);
          continue;
        }
        got++;
        if (m.info.deliverySequence > this.received) this.received = m.info.deliverySequence;
        /** of a consumer replaced since (an ephemeral one): nothing of it is written */
        const stale = m.info.consumer !== this.name;
        // what is pulled and not read yet: still to come, and arrived behind this one (a
        // whole pull often arrives in one read from the socket, before any is taken)
        const rest = pulls.unread;
        // near the end of what is pulled, through a backlog that fills it and all of the
        // next pull (what the window has room for: WINDOW - rest): ask for the next now, so
        // the server sends it while these are rendered and written; not while a pipe's slow
        // start still grows the pulls
        if (
          rest <= AHEAD &&
          pulls.nextSize === WINDOW &&
          !this.stopping &&
          !stale &&
          m.info.pending >= WINDOW
        )
          this.startPull(burst.length + 1 + rest);
        // pulled but not to be written: back to the server once the pulls ended
        if (this.stopping || stale) {
          if (this.ledger.alreadyWritten(m)) this.ledger.ackAgain(m);
          else handBack.push(m);
          continue;
        }
        this.armIdle();
        if (this.ledger.alreadyWritten(m)) {
          // a redelivery (e.g. after a consumer leader change) of what this run wrote
          this.ledger.ackAgain(m);
          continue;
        }
        let text: string;
        try {
          text = this.hooks.render(toStoredMessage(m));
        } catch (err) {
          m.nak();
          throw new CliError(`cannot render message ${m.seq}: ${String(err)}`, ExitCode.Internal);
        }
        if (burst.add(m, text)) await this.flush(burst, handBack);
      }
    } finally {
      await this.flush(burst, handBack);
      // in stream order: a burst the pipe refused is handed back after messages that came
      // behind it once the stop was seen, and the server redelivers in the order of the naks
      handBack.sort((a, b) => a.info.streamSequence - b.info.streamSequence);
      for (const m of handBack) m.nak();
    }
    return got;
  }

  private async pullOnce(): Promise<void> {
    if (this.pulls.outstanding === 0 && this.pulls.queued === 0) {
      if (this.stopping || this.startPull(0) === 0) return;
    }
    const got = await this.read();
    // nothing came: an idle stream, or an ephemeral (one-replica) consumer whose node died,
    // which no server answers for (a durable is replicated with the stream: it moves)
    if (got === 0 && !this.stopping && !this.opts.durable) {
      const next = afterEmptyPull(await this.consumerSession.probe(ATTEMPT_MS), this.opts.stream);
      if (next.kind === "end") throw next.error;
      if (next.kind === "recreate") await this.recreateEphemeral(next.why);
    }
  }

  /**
   * After a failed pull: throws what ends the run (the stream or the durable removed,
   * permission denied, the connection closed), recreates a vanished ephemeral consumer
   * ("now": pull again at once), or warns once and says "later".
   */
  private async recover(err: unknown): Promise<"now" | "later"> {
    const { stream } = this.opts;
    if (err instanceof CliError) throw err;
    if (this.conn.nc.isClosed())
      throw toCliError(err, { phase: "request", servers: this.conn.settings.servers });
    const code = natsErrorCode(err);
    if (code === "PERMISSIONS_VIOLATION") throw toCliError(err, { phase: "request" });
    // asked once, briefly: an ephemeral consumer whose node died gets "no responders" from 2.15
    const next = afterFailedPull(
      await this.consumerSession.probe(ATTEMPT_MS),
      this.opts,
      code === "503",
    );
    if (next.kind === "end") throw next.error;
    if (next.kind === "recreate") {
      try {
        await this.recreateEphemeral(next.why);
        return "now";
      } catch {
        // the stream may be gone: the next failure's probe says
      }
    }
    if (!this.troubled)
      this.hooks.warn(
        `pulling from ${stream} failed (${err instanceof Error ? err.message : String(err)}); retrying…`,
      );
    this.troubled = true;
    return "later";
  }

  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wake = null;
  }

  /** what arrived after the pulls were given up or cut off goes back (written ones acked again) */
  private handBackLeft(): void {
    const left = this.pulls.close();
    left.sort((a, b) => a.info.streamSequence - b.info.streamSequence);
    for (const m of left) {
      if (this.ledger.alreadyWritten(m)) this.ledger.ackAgain(m);
      else m.nak();
    }
  }

  async run(): Promise<ListenResult> {
    const stopReports = reportConnectionEvents(
      this.conn.nc,
      this.hooks,
      () => this.stopping !== null,
    );
    this.armIdle();
    let unconfirmed = 0;
    try {
      // the pulls outstanding are still read after a stop: what they bring is handed back
      while (!this.stopping || this.pulls.outstanding > 0) {
        try {
          await this.pullOnce();
          if (this.troubled && !this.stopping) this.troubled = false;
        } catch (err) {
          if (this.stopping) break;
          if ((await this.recover(err)) === "later") await this.pause(RETRY_MS);
        }
      }
      this.handBackLeft();
      // nothing is reported before every ack is confirmed (or the budget ran out)
      unconfirmed = await this.ledger.settle();
    } finally {
      stopReports();
      clearTimeout(this.idleTimer);
      clearTimeout(this.stopTimer);
      this.pulls.close();
      this.ledger.close();
      if (!this.opts.durable)
        await this.jsm.consumers.delete(this.opts.stream, this.name).catch(() => undefined);
    }
    const reason = this.stopping ?? "count";
    return { written: this.written, unconfirmed, reason, consumer: this.name };
  }
}
