// What the publishing baselines share: tweetstream's message id of an event, so that a
// baseline stores what `publish --file` stores.

import { createHash } from "node:crypto";

/**
 * A tweet's id; a like's derived from the whole event.
 * @param {{ messageType: string, id: string, message: string, date: string, author: string }} e
 */
export function msgID(e) {
  if (e.messageType === "tweet_created") return e.id;
  const hash = createHash("sha256")
    .update([e.messageType, e.id, e.author, e.date, e.message].join("\u0000"))
    .digest("hex");
  return `like-${hash.slice(0, 40)}`;
}
