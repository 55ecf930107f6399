import { describe, expect, it } from "vitest";
import {
  formatAge,
  formatBytes,
  formatCount,
  formatDuration,
  formatTime,
} from "../../src/output/format.js";
import { colorLevel } from "../../src/output/output.js";

describe("formatting", () => {
  it("formats sizes in binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(4836)).toBe("4.7 KiB");
    expect(formatBytes(10 * 1024 ** 2)).toBe("10.0 MiB");
    expect(formatBytes(-1)).toBe("-");
  });
  it("formats counts with separators", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
  });
  it("formats durations like the nats CLI", () => {
    expect(formatDuration(350)).toBe("350ms");
    expect(formatDuration(615_000)).toBe("10m15s");
    expect(formatDuration(93_600_000)).toBe("1d2h");
    expect(formatDuration(120_000)).toBe("2m");
  });
  it("formats local times and ages", () => {
    const d = new Date(2022, 0, 7, 22, 1, 27);
    expect(formatTime(d)).toBe("2022-01-07 22:01:27");
    expect(formatAge(null)).toBe("never");
    expect(formatAge(new Date(1_000_000), 1_615_000)).toBe("10m15s");
  });
});

describe("colorLevel", () => {
  const withEnv = (env: Record<string, string | undefined>, fn: () => void) => {
    const saved = { ...process.env };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      fn();
    } finally {
      process.env = saved;
    }
  };
  it("is off without a TTY, with --json, --no-color or NO_COLOR", () => {
    withEnv({ NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: "xterm" }, () => {
      expect(colorLevel(false, {})).toBe(0);
      expect(colorLevel(true, {})).toBeGreaterThan(0);
      expect(colorLevel(true, { json: true })).toBe(0);
      expect(colorLevel(true, { color: false })).toBe(0);
    });
    withEnv({ NO_COLOR: "1", FORCE_COLOR: undefined }, () => expect(colorLevel(true, {})).toBe(0));
  });
  it("FORCE_COLOR forces it on (or off), but not under --json", () => {
    withEnv({ NO_COLOR: undefined, FORCE_COLOR: "1" }, () => {
      expect(colorLevel(false, {})).toBe(1);
      expect(colorLevel(false, { json: true })).toBe(0);
    });
    withEnv({ NO_COLOR: undefined, FORCE_COLOR: "0", TERM: "xterm" }, () =>
      expect(colorLevel(true, {})).toBe(0),
    );
  });
});
