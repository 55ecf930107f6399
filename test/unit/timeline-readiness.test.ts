// /readyz's answer from where serve's start stands (src/serve/timeline/readiness.ts).

import { describe, expect, it } from "vitest";
import { readinessOf } from "../../src/serve/timeline/readiness.js";

describe("readiness", () => {
  it("ready once started; until then the phase and how far it got", () => {
    expect(readinessOf({ phase: "ready" }, undefined, 5)).toEqual({ ready: true });
    expect(readinessOf({ phase: "starting", of: 0 }, undefined, 0)).toEqual({
      ready: false,
      reason: "starting",
      view: { seq: 0, of: 0 },
    });
    expect(readinessOf({ phase: "waiting", of: 100 }, undefined, 40)).toMatchObject({
      reason: "waiting for the instance that writes the view",
      view: { seq: 40, of: 100 },
    });
  });

  it("building: the writer's progress, then (its reading done, saving) the whole", () => {
    const building = { phase: "building", of: 100 } as const;
    expect(readinessOf(building, { seq: 30, of: 100 }, 0)).toMatchObject({
      reason: "building the view",
      view: { seq: 30, of: 100 },
    });
    // memory is not loaded yet (cursor 0): the build does not seem to go back
    expect(readinessOf(building, undefined, 0)).toMatchObject({ view: { seq: 100, of: 100 } });
  });

  it("loading: memory's cursor, never past the stream's end at the start", () => {
    const loading = { phase: "loading", of: 100 } as const;
    expect(readinessOf(loading, undefined, 80)).toMatchObject({ view: { seq: 80, of: 100 } });
    expect(readinessOf(loading, undefined, 120)).toMatchObject({ view: { seq: 100, of: 100 } });
  });
});
