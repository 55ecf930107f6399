// listen --exec's handler environment and renderings, and the --json error object.
import { describe, expect, it } from "vitest";
import { handlerEnv, failureText } from "../../src/nats/exec-worker.js";
import { jsonError, wantsJson } from "../../src/output/json-error.js";
import { givenUpText, renderOutcomeLine, summaryText } from "../../src/output/worker.js";
import { createOutput } from "../../src/output/output.js";
import type { Outcome } from "../../src/worker/records.js";

const outcome: Outcome = {
  outcome: "given_up",
  stream: "S",
  consumer: "w",
  seq: 12,
  subject: "S.tweet_created\u001b[2J",
  id: "abc",
  delivered: 3,
  exit: 1,
  signal: null,
  ms: 20,
  reason: "handler exited 1 on attempt 3, the last allowed",
  time: "2026-01-01T00:00:00.000Z",
};

describe("listen --exec", () => {
  it("describes the event to the handler in TWEETSTREAM_* variables", () => {
    expect(
      handlerEnv({ stream: "S", seq: 4, subject: "S.x", delivered: 2 }, "w", "id1", Infinity),
    ).toEqual({
      TWEETSTREAM_STREAM: "S",
      TWEETSTREAM_CONSUMER: "w",
      TWEETSTREAM_SEQ: "4",
      TWEETSTREAM_SUBJECT: "S.x",
      TWEETSTREAM_DELIVERED: "2",
      TWEETSTREAM_MAX_DELIVER: "-1",
      TWEETSTREAM_EVENT_ID: "id1",
    });
    expect(
      handlerEnv({ stream: "S", seq: 4, subject: "S.x", delivered: 1 }, "w", undefined, 5),
    ).not.toHaveProperty("TWEETSTREAM_EVENT_ID");
  });

  it("renders outcomes with untrusted subjects escaped, and the summary", () => {
    const color = createOutput({ color: false }).color;
    const line = renderOutcomeLine(outcome, color);
    expect(line).toMatch(
      /^gave up +seq 12 {2}S\.tweet_created\\u001b\[2J {2}attempt 3 {2}exit 1\n$/,
    );
    expect(givenUpText(outcome)).toMatch(/^gave up on sequence 12 \(id abc\) on /);
    expect(failureText({ code: null, signal: "SIGKILL", ms: 1 }, 2)).toBe(
      "handler was ended by SIGKILL on attempt 2, the last allowed",
    );
    expect(
      summaryText(
        {
          handled: 3,
          retried: 2,
          given_up: 1,
          handed_back: 0,
          given_up_seqs: [12],
          dead_letters: { count: 2, latest: [9, 12] },
        },
        "w",
      ),
    ).toBe(
      "Handled 3, retried 2, gave up on 1 (sequence 12); dead letters of w since the start, from any client: 2 (latest 9, 12)",
    );
  });
});

describe("--json errors", () => {
  it("is chosen by --json before any --", () => {
    expect(wantsJson(["stream", "ls", "--json"])).toBe(true);
    expect(wantsJson(["publish", "--", "--json"])).toBe(false);
    expect(wantsJson(["stream", "ls"])).toBe(false);
  });

  it("is one line of JSON, err_code only when given", () => {
    expect(jsonError("stream S not found", 4, 10059)).toBe(
      '{"error":{"message":"stream S not found","exit":4,"err_code":10059}}\n',
    );
    expect(JSON.parse(jsonError("x\u001b", 2))).toEqual({ error: { message: "x\u001b", exit: 2 } });
  });
});
