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
