// Dead letters: events a consumer gave up on, whoever gave up (listen --exec, the
// article's Go subscriber, any client). JetStream announces them as advisories — max
// deliveries reached ($JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>) and
// terminated by the client (…MSG_TERMINATED…) — but advisories are plain NATS messages,
// gone unless a stream stores them. So tweetstream keeps them in a capture stream,
// <STREAM>_ADVISORIES, created by `consumer dead-letters --capture` and by listen --exec;
// consumer info and listen's summary read it. No capture stream: nothing to show, and
// they say so. Consumer state alone cannot tell: a terminated event only moves the ack floor.

import type { JetStreamManager, JsMsg } from "nats";
import type { Connection } from "./connection.js";
import { JsErr, jsErrorCode, toCliError } from "./errors.js";
import { pullExpiryMs, timingFor } from "./timing.js";

const ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER";
/** the capture stream keeps at most this many advisories, for at most this long */
const CAPTURE_MAX_MSGS = 100_000;
const CAPTURE_MAX_AGE_NS = 30 * 24 * 3600 * 1e9;
/** latest dead letters kept when reading */
const LATEST = 5;

export function captureStreamName(stream: string): string {
  return `${stream}_ADVISORIES`;
}

export function captureSubjects(stream: string): string[] {
  return [`${ADVISORY}.MAX_DELIVERIES.${stream}.*`, `${ADVISORY}.MSG_TERMINATED.${stream}.*`];
}

export interface DeadLetter {
  kind: "max_deliveries" | "terminated";
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
  /** when the server announced it (ISO 8601) */
  time: string;
}

export interface DeadLetterReport {
  /** whether a capture stream exists (else count is 0 and unknown) */
  captured: boolean;
  count: number;
  /** the latest, oldest first */
  latest: DeadLetter[];
}

/** Creates the capture stream unless it exists: "created" or "exists". */
export async function ensureCapture(
  jsm: JetStreamManager,
  stream: string,
): Promise<"created" | "exists"> {
  const name = captureStreamName(stream);
  try {
    await jsm.streams.info(name);
    return "exists";
  } catch (err) {
    if (jsErrorCode(err) !== JsErr.StreamNotFound) throw toCliError(err, { stream: name });
  }
  try {
    await jsm.streams.add({
      name,
      subjects: captureSubjects(stream),
      description: `tweetstream: dead-letter advisories of stream ${stream}`,
      max_msgs: CAPTURE_MAX_MSGS,
      max_age: CAPTURE_MAX_AGE_NS,
    });
    return "created";
  } catch (err) {
    const code = jsErrorCode(err);
    if (code === JsErr.StreamNameInUse) return "exists"; // created at the same moment
    throw toCliError(err, { stream: name });
  }
}

/** One captured advisory as a DeadLetter, or undefined when it is not one. */
export function readAdvisory(subject: string, data: Uint8Array): DeadLetter | undefined {
  try {
    const a = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
    const kind = subject.startsWith(`${ADVISORY}.MAX_DELIVERIES.`)
      ? "max_deliveries"
      : subject.startsWith(`${ADVISORY}.MSG_TERMINATED.`)
        ? "terminated"
        : undefined;
    if (!kind || typeof a.stream_seq !== "number") return undefined;
    return {
      kind,
      stream: String(a.stream),
      consumer: String(a.consumer),
      stream_seq: a.stream_seq,
      deliveries: typeof a.deliveries === "number" ? a.deliveries : 0,
      time: String(a.timestamp ?? ""),
    };
  } catch {
    return undefined;
  }
}

/**
 * The dead letters captured for `stream` (one consumer, or all), since `since` when given:
 * their count and the latest few. Reads with an ephemeral consumer without acks, keeping
 * only the latest.
 */
export async function readDeadLetters(
  conn: Connection,
  stream: string,
  opts: { consumer?: string; since?: Date; all?: boolean } = {},
): Promise<DeadLetterReport> {
  const jsm = await conn.jsm();
  const capture = captureStreamName(stream);
  try {
    await jsm.streams.info(capture);
  } catch (err) {
    if (jsErrorCode(err) === JsErr.StreamNotFound) return { captured: false, count: 0, latest: [] };
    throw toCliError(err, { stream: capture, phase: "request" });
  }
  // one pass per advisory kind: nats-server 2.9 takes a filter only within one of the
  // stream's subjects
  let count = 0;
  let latest: DeadLetter[] = [];
  for (const kind of ["MAX_DELIVERIES", "MSG_TERMINATED"]) {
    const r = await readCaptured(
      conn,
      jsm,
      capture,
      `${ADVISORY}.${kind}.${stream}.${opts.consumer ?? "*"}`,
      opts,
    );
    count += r.count;
    latest = [...latest, ...r.latest].sort((x, y) => x.time.localeCompare(y.time));
    if (!opts.all) latest = latest.slice(-LATEST);
  }
  return { captured: true, count, latest };
}

async function readCaptured(
  conn: Connection,
  jsm: JetStreamManager,
  capture: string,
  filter: string,
  opts: { since?: Date; all?: boolean },
): Promise<{ count: number; latest: DeadLetter[] }> {
  // an ephemeral consumer, no acks: how many match is its num_pending at creation
  const created = await jsm.consumers.add(capture, {
    ack_policy: "none" as never,
    filter_subject: filter,
    inactive_threshold: 30 * 1e9,
    ...(opts.since
      ? { deliver_policy: "by_start_time" as never, opt_start_time: opts.since.toISOString() }
      : { deliver_policy: "all" as never }),
  });
  const c = await conn.js().consumers.get(capture, created.name);
  let left = created.num_pending;
  const latest: DeadLetter[] = [];
  let count = 0;
  // stored messages: a live server hands them over at once
  const { attemptMs } = timingFor(conn.settings.timeoutMs);
  while (left > 0) {
    const batch = await c.fetch({
      max_messages: Math.min(left, 256),
      expires: pullExpiryMs(attemptMs),
    });
    let got = 0;
    for await (const m of batch as AsyncIterable<JsMsg>) {
      got++;
      left--;
      const d = readAdvisory(m.subject, m.data);
      if (!d) continue;
      count++;
      latest.push(d);
      if (!opts.all && latest.length > LATEST) latest.shift();
    }
    if (got === 0) break;
  }
  await c.delete().catch(() => undefined);
  return { count, latest };
}
