import { describe, expect, it } from "vitest";
import type { StreamConfig } from "nats";
import { configDifferences, type StreamSpec } from "../../src/nats/streams.js";

// what the server stores for the article's js.AddStream(&nats.StreamConfig{Name, Subjects})
const fromGo = {
  name: "TWITTERCLONE",
  subjects: ["TWITTERCLONE.*"],
  storage: "file",
  num_replicas: 1,
  max_age: 0,
  max_msgs: -1,
  max_bytes: -1,
  duplicate_window: 120_000_000_000,
} as unknown as StreamConfig;

const defaults: StreamSpec = {
  name: "TWITTERCLONE",
  subjects: ["TWITTERCLONE.*"],
  description: "Streaming article example",
  storage: "file",
  replicas: 1,
  maxAgeMs: 0,
  maxMsgs: -1,
  maxBytes: -1,
};

describe("stream add against an existing stream", () => {
  it("accepts the article's AddStream stream with the defaults, whatever its description", () => {
    expect(configDifferences(fromGo, defaults)).toEqual([]);
    expect(configDifferences({ ...fromGo, description: "mine" }, defaults)).toEqual([]);
  });
  it("names each difference, the description only when one was asked for", () => {
    expect(configDifferences(fromGo, { ...defaults, descriptionGiven: true })).toEqual([
      'description is "", requested "Streaming article example"',
    ]);
    expect(
      configDifferences(fromGo, { ...defaults, subjects: ["TWITTERCLONE.>"], storage: "memory" }),
    ).toEqual([
      'subjects is ["TWITTERCLONE.*"], requested ["TWITTERCLONE.>"]',
      'storage is "file", requested "memory"',
    ]);
  });
});
