import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { clusterProblem, renderClusterInfo } from "../../src/output/streams.js";

const plain = new Chalk({ level: 0 });
const ms = 1_000_000;

describe("stream info's cluster section", () => {
  it("names the leader and each replica's state, like natscli", () => {
    const lines = renderClusterInfo(
      {
        name: "C1",
        leader: "n1",
        replicas: [
          { name: "n2", current: true, offline: false, active: 12 * ms, lag: 0 },
          { name: "n3", current: false, offline: true, active: 65_000 * ms, lag: 1200 },
        ],
      },
      plain,
    );
    expect(lines.join("\n")).toBe(
      [
        "",
        "Cluster Information:",
        "     Name: C1",
        "   Leader: n1",
        "  Replica: n2, current, seen 12ms ago",
        "  Replica: n3, outdated, OFFLINE, seen 1m5s ago, 1,200 operations behind",
      ].join("\n"),
    );
  });

  it("is absent on a single server, and says when there is no leader", () => {
    expect(renderClusterInfo({ leader: "NABC" }, plain)).toEqual([]);
    expect(renderClusterInfo(undefined, plain)).toEqual([]);
    expect(renderClusterInfo({ name: "C1", replicas: [] }, plain).join("\n")).toMatch(
      /Leader: none \(an election is in progress\)/,
    );
  });

  it("a stream is whole only with a leader and every replica current", () => {
    expect(clusterProblem({ leader: "NABC" })).toBeUndefined();
    const current = { current: true, offline: false, active: 0, lag: 0 };
    expect(
      clusterProblem({ name: "C", leader: "n1", replicas: [{ name: "n2", ...current }] }),
    ).toBeUndefined();
    expect(
      clusterProblem({
        name: "C",
        replicas: [
          { name: "n2", ...current, current: false },
          { name: "n3", ...current, offline: true },
        ],
      }),
    ).toBe("no leader (an election is in progress), n2 outdated, n3 offline");
  });
});

describe("consumer info's cluster section and push interest", () => {
  const info = (extra: Record<string, unknown>) =>
    ({
      stream_name: "S",
      name: "gosub",
      created: "2026-01-01T00:00:00Z",
      config: {
        durable_name: "gosub",
        deliver_subject: "deliver.x",
        deliver_policy: "all",
        ack_policy: "explicit",
        replay_policy: "instant",
      },
      delivered: { consumer_seq: 0, stream_seq: 0 },
      ack_floor: { consumer_seq: 0, stream_seq: 0 },
      num_ack_pending: 0,
      num_redelivered: 0,
      num_waiting: 0,
      num_pending: 0,
      ...extra,
    }) as never;

  it("shows the consumer's Cluster Information like the stream's", async () => {
    const { renderConsumerInfo } = await import("../../src/output/consumers.js");
    const text = renderConsumerInfo(
      info({
        push_bound: true,
        cluster: {
          name: "C1",
          leader: "n2",
          replicas: [{ name: "n1", current: true, offline: false, active: 3 * ms, lag: 0 }],
        },
      }),
      plain,
    );
    expect(text).toMatch(/^ +Active Interest: Active$/m);
    expect(text).toMatch(/Cluster Information:\n +Name: C1\n +Leader: n2\n +Replica: n1, current/);
    expect(renderConsumerInfo(info({}), plain)).toMatch(/Active Interest: No interest/);
    expect(renderConsumerInfo(info({}), plain)).not.toMatch(/Cluster Information/);
  });
});
