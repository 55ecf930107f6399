// Reads what a stream really stored, straight from the server with nats.js (independent
// of tweetstream's own read commands): subject, payload text and Nats-Msg-Id per message.
// Message by message (get by sequence, a few at once): a plain request the stream leader
// answers, with no consumer that an election (or nats-server 2.9 placing it on a node that
// is down) could leave waiting.

import { connect } from "nats";

export interface Stored {
  seq: number;
  subject: string;
  data: string;
  msgId: string | undefined;
}

export async function storedMessages(
  url: string,
  stream: string,
  concurrency = 16,
): Promise<Stored[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    const { first_seq, last_seq, messages } = (await jsm.streams.info(stream)).state;
    if (!messages) return [];
    const found: Array<Stored | undefined> = new Array(last_seq - first_seq + 1);
    let next = first_seq;
    const worker = async () => {
      for (let seq = next++; seq <= last_seq; seq = next++) {
        const m = await jsm.streams.getMessage(stream, { seq }).catch((err: unknown) => {
          // a sequence with no message (deleted): a gap, not a failure
          if ((err as { api_error?: { err_code?: number } }).api_error?.err_code === 10037)
            return undefined;
          throw err;
        });
        if (m)
          found[seq - first_seq] = {
            seq: m.seq,
            subject: m.subject,
            data: new TextDecoder().decode(m.data),
            msgId: m.header?.get("Nats-Msg-Id") || undefined,
          };
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return found.filter((m): m is Stored => m !== undefined);
  } finally {
    await nc.close();
  }
}
