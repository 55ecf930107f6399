// Reads what a stream really stored, straight from the server with nats.js (independent
// of tweetstream's own read commands): subject, payload text and Nats-Msg-Id per message.

import { connect } from "nats";

export interface Stored {
  seq: number;
  subject: string;
  data: string;
  msgId: string | undefined;
}

export async function storedMessages(url: string, stream: string): Promise<Stored[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    const out: Stored[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      out.push({
        seq: m.seq,
        subject: m.subject,
        data: new TextDecoder().decode(m.data),
        msgId: m.header?.get("Nats-Msg-Id") || undefined,
      });
    }
    return out;
  } finally {
    await nc.close();
  }
}
