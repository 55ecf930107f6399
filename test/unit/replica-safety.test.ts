import { describe, expect, it } from "vitest";
import { replicaSafetyNote, unsafeForReplicas } from "../../src/nats/replica-safety.js";

describe("servers safe for replicated streams", () => {
  it("warns below 2.10.0 only", () => {
    expect(unsafeForReplicas("2.9.10")).toBe(true);
    expect(unsafeForReplicas("2.9.25")).toBe(true);
    expect(unsafeForReplicas("1.4.1")).toBe(true);
    expect(unsafeForReplicas("2.10.0")).toBe(false);
    expect(unsafeForReplicas("2.10.0-beta.3")).toBe(false);
    expect(unsafeForReplicas("2.15.1")).toBe(false);
    expect(unsafeForReplicas("3.0.0")).toBe(false);
    expect(unsafeForReplicas(undefined)).toBe(false);
    expect(unsafeForReplicas("unknown")).toBe(false);
  });

  it("one line with the version, only for a replicated stream", () => {
    const note = replicaSafetyNote("2.9.10", 3);
    expect(note).toMatch(/^nats-server 2\.9\.10 is older than 2\.10: .*diverge.*partition/);
    expect(note).not.toContain("\n");
    expect(replicaSafetyNote("2.9.10", 1)).toBeUndefined();
    expect(replicaSafetyNote("2.9.10", undefined)).toBeUndefined();
    expect(replicaSafetyNote("2.15.1", 3)).toBeUndefined();
  });
});
