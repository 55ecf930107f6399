// Test fixtures published straight with nats.js (not through the CLI under test):
// N valid events or raw payloads into a stream, acks awaited in pipelined windows.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, headers as natsHeaders, type NatsConnection } from "nats";

export interface FixtureEvent {
  messageType: "tweet_created" | "tweet_liked";
  id: string;
  message: string;
  date: string;
  author: string;
}

/** Event i of a fixture: even i tweets, odd i likes of the tweet before (unless `type`). */
export function fixtureEvent(i: number, type?: FixtureEvent["messageType"]): FixtureEvent {
  const messageType = type ?? (i % 2 === 0 ? "tweet_created" : "tweet_liked");
  return {
    messageType,
    id: messageType === "tweet_created" ? `tweet-${i}` : `tweet-${i - 1}`,
    message: messageType === "tweet_created" ? `hello world ${i}` : "",
    date: new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + i * 1000).toISOString(),
    author: `user${i % 7}`,
  };
}

export async function withConnection<T>(
  url: string,
  fn: (nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const nc = await connect({ servers: url });
  try {
    return await fn(nc);
  } finally {
    await nc.drain();
  }
}

export interface RawFixture {
  subject: string;
  data: string | Uint8Array;
  headers?: Record<string, string>;
}

/** Publishes raw messages in order; resolves with their stream sequences. */
export async function publishRaw(
  url: string,
  messages: RawFixture[],
  window = 500,
): Promise<number[]> {
  return withConnection(url, async (nc) => {
    const js = nc.jetstream();
    const seqs: number[] = [];
    for (let i = 0; i < messages.length; i += window) {
      const acks = messages.slice(i, i + window).map((m) => {
        let h;
        if (m.headers) {
          h = natsHeaders();
          for (const [k, v] of Object.entries(m.headers)) h.set(k, v);
        }
        return js.publish(
          m.subject,
          typeof m.data === "string" ? new TextEncoder().encode(m.data) : m.data,
          {
            ...(h ? { headers: h } : {}),
          },
        );
      });
      for (const ack of await Promise.all(acks)) seqs.push(ack.seq);
    }
    return seqs;
  });
}

/** Publishes `count` valid events (fixtureEvent(from … from+count-1)) to `<stream>.<messageType>`. */
export async function publishEvents(
  url: string,
  stream: string,
  count: number,
  opts: { from?: number; type?: FixtureEvent["messageType"] } = {},
): Promise<FixtureEvent[]> {
  const events = Array.from({ length: count }, (_, k) =>
    fixtureEvent((opts.from ?? 0) + k, opts.type),
  );
  await publishRaw(
    url,
    events.map((e) => ({ subject: `${stream}.${e.messageType}`, data: JSON.stringify(e) })),
  );
  return events;
}

/** `n` distinct tweets (ids `<name>-<i>`) as an NDJSON file in `dir`; its path. */
export function eventsFile(dir: string, name: string, n: number): string {
  const file = join(dir, `${name}.ndjson`);
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(JSON.stringify({ ...fixtureEvent(i * 2), id: `${name}-${i}` }));
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** How many messages `stream` holds, asked on `nc`. */
export async function storedCount(nc: NatsConnection, stream: string): Promise<number> {
  return (await (await nc.jetstreamManager()).streams.info(stream)).state.messages;
}
