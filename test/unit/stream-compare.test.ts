import { describe, expect, it } from "vitest";
import type { StreamConfig } from "nats";
import {
  configChanges,
  ConfigConflictError,
  type ConfigConflict,
} from "../../src/domain/config-change.js";
import type { StreamRequest } from "../../src/nats/streams.js";
import { describeConfigConflict, describeConflict } from "../../src/output/config-change.js";
import { withDefaults } from "../../src/commands/stream/add.js";
import { requestedConfig } from "../../src/commands/stream/config-options.js";

// what the server stores for the article's js.AddStream(&nats.StreamConfig{Name, Subjects})
const fromGo = {
  name: "TWITTERCLONE",
  subjects: ["TWITTERCLONE.*"],
  retention: "limits",
  storage: "file",
  num_replicas: 1,
  max_age: 0,
  max_msgs: -1,
  max_bytes: -1,
  max_msg_size: -1,
  max_msgs_per_subject: -1,
  duplicate_window: 120_000_000_000,
} as unknown as StreamConfig;

// what `stream add TWITTERCLONE` asks for without options: the command's own defaults
const defaults = withDefaults("TWITTERCLONE", requestedConfig({}));

const conflicts = (existing: StreamConfig, request: StreamRequest) =>
  configChanges(existing, request).map(describeConflict);

describe("stream add against an existing stream", () => {
  it("accepts the article's AddStream stream with the defaults, whatever its description", () => {
    expect(conflicts(fromGo, defaults)).toEqual([]);
    expect(conflicts({ ...fromGo, description: "mine" }, defaults)).toEqual([]);
  });
  it("names each difference in human units, the description only when one was asked for", () => {
    expect(conflicts(fromGo, { ...defaults, description: "tweets" })).toEqual([
      'description is none, requested "tweets"',
    ]);
    expect(
      conflicts(fromGo, {
        ...defaults,
        subjects: ["TWITTERCLONE.>"],
        storage: "memory" as StreamRequest["storage"],
        max_age: 3_600_000_000_000,
        max_bytes: 1024 * 1024,
      }),
    ).toEqual([
      "subjects is TWITTERCLONE.*, requested TWITTERCLONE.>",
      "storage is file, requested memory",
      "max age is unlimited, requested 1h",
      "max bytes is unlimited, requested 1.0 MiB",
    ]);
  });
});

describe("a configuration conflict: thrown as data by nats/, worded by output/", () => {
  const changes = configChanges(
    { ...fromGo, max_age: 0 },
    { ...defaults, max_age: 3_600_000_000_000 },
  );

  it("an existing stream or consumer names the edit that changes it", () => {
    const stream = new ConfigConflictError({
      kind: "exists",
      entity: "stream",
      name: "S",
      stream: "S",
      changes,
    });
    expect(stream.exitCode).toBe(5);
    expect(describeConfigConflict(stream.conflict)).toBe(
      "stream S already exists with a different configuration: max age is unlimited, " +
        "requested 1h (change it with: tweetstream stream edit S)",
    );
    const consumer = { kind: "exists", entity: "consumer", name: "C", stream: "S", changes };
    expect(describeConfigConflict(consumer as ConfigConflict)).toBe(
      "consumer C on stream S already exists with a different configuration: max age is " +
        "unlimited, requested 1h (change it with: tweetstream consumer edit S C)",
    );
  });

  it("a refused edit gives the server's reason and its err_code", () => {
    const refused = new ConfigConflictError({
      kind: "refused",
      name: "S",
      changes,
      reason: "stream configuration update can not change storage type",
      errCode: 10052,
    });
    expect(describeConfigConflict(refused.conflict)).toBe(
      "the server will not change stream S (max age: unlimited → 1h): " +
        "stream configuration update can not change storage type (10052)",
    );
    // read unrendered, the message still says what conflicts
    expect(refused.message).toContain("max_age: 0 → 3600000000000");
  });
});
