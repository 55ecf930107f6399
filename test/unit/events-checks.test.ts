// The event checks' scans (src/events.ts) mean what the regular expressions they replaced
// meant: an id with any character `/\s/` matches is refused, and a tweet's message or
// author that `trim()` empties is.

import { describe, expect, it } from "vitest";
import { eventProblem } from "../../src/events.js";

const tweet = (fields: Record<string, string>) => ({
  messageType: "tweet_created",
  id: "t1",
  message: "hello",
  date: "2022-01-07T22:01:27.000Z",
  author: "ann",
  ...fields,
});

describe("event checks", () => {
  it("refuse an id holding any code unit /\\s/ matches, and only those", () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const problem = eventProblem(tweet({ id: `a${ch}b` }));
      expect(problem === "id must not contain whitespace", `U+${c.toString(16)}`).toBe(
        /\s/.test(ch),
      );
    }
  });

  it("refuse a tweet whose message or author trim() empties, and only those", () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const blank = ch.trim() === "";
      expect(eventProblem(tweet({ message: ch + ch })) === "message must not be empty").toBe(blank);
      expect(eventProblem(tweet({ author: ch })) === "author must not be empty").toBe(blank);
    }
    expect(
      eventProblem({ ...tweet({}), messageType: "tweet_liked", message: " ", author: "" }),
    ).toBe(null);
  });
});
