// The publishes awaiting their JetStream ack on the acked publisher's inbox
// (acked-publish.ts), by the token ending their reply subject: who is told, with what tag,
// by when. Kept in preallocated slots so that a bulk run allocates nothing per publish.

/** Where an awaited ack goes: a lane's callback with the publish's tag. */
export interface Receiver<A> {
  timeoutMs: number;
  settle(err: Error | null, ack: A | null, tag: unknown, sentAt: number): void;
}

/** An awaited ack that lost its slot to a newer one (more in flight than the table holds). */
export interface AwaitedAck<A> {
  token: number;
  deadline: number;
  receiver: Receiver<A>;
  tag: unknown;
  subject: string;
}

/**
 * The publishes awaiting their ack, by token. A bulk run keeps a window of them in flight
 * and a waiter object (and its closures) per publish lived until its ack: at each scavenge
 * the window's were alive and promoted, ten times the raw publisher's promotions. Here a
 * token owns the slot `token & mask` of preallocated arrays: nothing is allocated per
 * publish. A slot still taken by an older token (a publish awaiting a late ack while the
 * others went on) sends that one to a map, or doubles the table when it is half full.
 */
export class PendingAcks<A> {
  /** `parse` makes an answer on the inbox an ack, or the error it says */
  constructor(
    private readonly parse: (status: number | undefined, data: Uint8Array) => Error | A,
  ) {}

  private size = 256;
  private tokens = new Float64Array(this.size); // 0: a free slot
  private deadlines = new Float64Array(this.size);
  private receivers: (Receiver<A> | undefined)[] = new Array<Receiver<A> | undefined>(this.size);
  private tags: unknown[] = new Array<unknown>(this.size);
  private subjects: (string | undefined)[] = new Array<string | undefined>(this.size);
  private overflow = new Map<number, AwaitedAck<A>>();
  count = 0;

  add(token: number, deadline: number, receiver: Receiver<A>, tag: unknown, subject: string): void {
    let slot = token & (this.size - 1);
    if (this.tokens[slot] !== 0) {
      if (this.count >= this.size / 2) {
        this.grow();
        slot = token & (this.size - 1);
      }
      if (this.tokens[slot] !== 0) this.evict(slot);
    }
    this.tokens[slot] = token;
    this.deadlines[slot] = deadline;
    this.receivers[slot] = receiver;
    this.tags[slot] = tag;
    this.subjects[slot] = subject;
    this.count++;
  }

  /** Settles `token` with its answer; nothing when it is not awaited (any more). */
  settle(token: number, status: number | undefined, data: Uint8Array): void {
    const slot = token & (this.size - 1);
    if (this.tokens[slot] === token) {
      const receiver = this.receivers[slot]!;
      const tag = this.tags[slot];
      const sentAt = this.deadlines[slot]! - receiver.timeoutMs;
      this.free(slot);
      return deliver(receiver, tag, sentAt, this.parse(status, data));
    }
    const o = this.overflow.get(token);
    if (!o) return; // timed out already, or answered twice
    this.overflow.delete(token);
    this.count--;
    deliver(o.receiver, o.tag, o.deadline - o.receiver.timeoutMs, this.parse(status, data));
  }

  /** Removes and returns the awaited publishes that `pick` chooses, oldest first. */
  take(pick: (deadline: number, subject: string) => boolean, first = false): AwaitedAck<A>[] {
    const out: AwaitedAck<A>[] = [];
    for (const o of this.overflow.values()) if (pick(o.deadline, o.subject)) out.push(o);
    for (let slot = 0; slot < this.size; slot++) {
      if (this.tokens[slot] === 0 || !pick(this.deadlines[slot]!, this.subjects[slot]!)) continue;
      out.push(this.entry(slot));
    }
    out.sort((a, b) => a.token - b.token);
    const taken = first ? out.slice(0, 1) : out;
    for (const o of taken) {
      const slot = o.token & (this.size - 1);
      if (this.tokens[slot] === o.token) this.free(slot);
      else if (this.overflow.delete(o.token)) this.count--;
    }
    return taken;
  }

  private entry(slot: number): AwaitedAck<A> {
    return {
      token: this.tokens[slot]!,
      deadline: this.deadlines[slot]!,
      receiver: this.receivers[slot]!,
      tag: this.tags[slot],
      subject: this.subjects[slot]!,
    };
  }

  private free(slot: number): void {
    this.tokens[slot] = 0;
    this.receivers[slot] = undefined;
    this.tags[slot] = undefined;
    this.subjects[slot] = undefined;
    this.count--;
  }

  private evict(slot: number): void {
    const o = this.entry(slot);
    this.free(slot);
    this.count++; // still awaited, in the map
    this.overflow.set(o.token, o);
  }

  private grow(): void {
    const entries: AwaitedAck<A>[] = [...this.overflow.values()];
    for (let slot = 0; slot < this.size; slot++)
      if (this.tokens[slot] !== 0) entries.push(this.entry(slot));
    this.size *= 2;
    this.tokens = new Float64Array(this.size);
    this.deadlines = new Float64Array(this.size);
    this.receivers = new Array<Receiver<A> | undefined>(this.size);
    this.tags = new Array<unknown>(this.size);
    this.subjects = new Array<string | undefined>(this.size);
    this.overflow = new Map();
    this.count = 0;
    entries.sort((a, b) => a.token - b.token);
    for (const o of entries) this.add(o.token, o.deadline, o.receiver, o.tag, o.subject);
  }
}

function deliver<A>(receiver: Receiver<A>, tag: unknown, sentAt: number, answer: Error | A): void {
  if (answer instanceof Error) receiver.settle(answer, null, tag, sentAt);
  else receiver.settle(null, answer, tag, sentAt);
}
