// The tweet event stored at one sequence of a stream (a message get): what serve's
// replay of a missed range and its view's id index read.

import { timelineEvent, type TweetEvent } from "../events.js";
import type { Connection } from "./connection.js";
import { JsErr, jsErrorCode, toCliError } from "./errors.js";

/** The event stored at `seq`, or null when nothing (or no event) is stored there. */
export function storedEventAt(conn: Connection, stream: string) {
  return async (seq: number): Promise<TweetEvent | null> => {
    try {
      const sm = await (await conn.jsm()).streams.getMessage(stream, { seq });
      return timelineEvent(sm.subject, sm.data);
    } catch (err) {
      if (jsErrorCode(err) === JsErr.NoMessageFound) return null;
      throw toCliError(err, { phase: "request", stream, servers: conn.settings.servers });
    }
  };
}
