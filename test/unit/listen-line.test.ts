import { describe, expect, it } from "vitest";
import { listeningLine } from "../../src/commands/listen.js";

describe("listen's start line", () => {
  const line = (req: Parameters<typeof listeningLine>[1], resumed = false) =>
    listeningLine("S", req, req.durable ?? "ephemeral-1", resumed, undefined);

  it("reads as a sentence in every combination of --durable, --count and --timeout", () => {
    const expected: Array<[Parameters<typeof listeningLine>[1], string]> = [
      [{}, "Listening on stream S with an ephemeral consumer; Ctrl-C to stop"],
      [
        { count: 1 },
        "Listening on stream S with an ephemeral consumer, until 1 event; Ctrl-C to stop",
      ],
      [
        { idleMs: 1000 },
        "Listening on stream S with an ephemeral consumer, until no event for 1s; Ctrl-C to stop",
      ],
      [
        { count: 3, idleMs: 30_000 },
        "Listening on stream S with an ephemeral consumer, until 3 events or no event for 30s; Ctrl-C to stop",
      ],
      [{ durable: "ci" }, "Listening on stream S with durable ci (new); Ctrl-C to stop"],
      [
        { durable: "ci", count: 2 },
        "Listening on stream S with durable ci (new), until 2 events; Ctrl-C to stop",
      ],
      [
        { durable: "ci", idleMs: 1000 },
        "Listening on stream S with durable ci (new), until no event for 1s; Ctrl-C to stop",
      ],
      [
        { durable: "ci", count: 1, idleMs: 30_000, filter: "S.tweet_liked" },
        "Listening on S.tweet_liked with durable ci (new), until 1 event or no event for 30s; Ctrl-C to stop",
      ],
    ];
    for (const [req, text] of expected) expect(line(req)).toBe(text);
    expect(line({ durable: "ci", idleMs: 5000 }, true)).toBe(
      "Listening on stream S with durable ci (resuming after its last acknowledged event), until no event for 5s; Ctrl-C to stop",
    );
  });

  it("its shorter forms keep the same ending", () => {
    const req = { durable: "ci", count: 1, idleMs: 1000 };
    expect(listeningLine("S", req, "ci", true, 80)).toBe(
      "Listening on S, durable ci (resuming), until 1 event or no event for 1s",
    );
    expect(listeningLine("S", { idleMs: 1000 }, "x", false, 40)).toBe(
      "Listening on S, ephemeral consumer",
    );
  });
});
