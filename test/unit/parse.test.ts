import { describe, expect, it } from "vitest";
import {
  parseCount,
  MAX_SERVER_DURATION_MS,
  parseDuration,
  validateStreamSubject,
  parseLimit,
  parseSize,
  parseTimePoint,
  validateStreamName,
  validateSubject,
} from "../../src/parse.js";
import { CliError } from "../../src/errors.js";

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    return (err as CliError).message;
  }
  throw new Error("expected a usage error");
};

describe("parseDuration", () => {
  it.each([
    ["5s", 5000],
    ["250ms", 250],
    ["2m", 120_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["1.5s", 1500],
    [" 3s ", 3000],
    ["1M", 30 * 86_400_000],
    ["1m", 60_000],
    ["1w", 7 * 86_400_000],
    ["1W", 7 * 86_400_000],
    ["1D", 86_400_000],
    ["1y", 365 * 86_400_000],
    ["1Y", 365 * 86_400_000],
    ["1500us", 2],
    ["2147483647ms", 2 ** 31 - 1],
  ])("%j → %d ms", (input, ms) =>
    expect(parseDuration(input, "duration", { max: MAX_SERVER_DURATION_MS })).toBe(ms),
  );

  it("refuses 0 and timers of 2^31 ms or more (Node would fire them after 1 ms)", () => {
    expect(usage(() => parseDuration("0", "--timeout"))).toMatch(
      /--timeout "0": it must be more than 0/,
    );
    expect(usage(() => parseDuration("0ms", "--timeout"))).toMatch(/more than 0/);
    expect(usage(() => parseDuration("0.1ms", "--timeout"))).toMatch(/more than 0/);
    expect(usage(() => parseDuration("2147483648ms", "--timeout"))).toMatch(/at most 24d/);
    expect(usage(() => parseDuration("30d", "--ack-wait"))).toMatch(/--ack-wait "30d": at most/);
  });
  it("takes 0 and long durations where the server keeps them (--max-age)", () => {
    const serverSide = { zero: true, max: MAX_SERVER_DURATION_MS };
    expect(parseDuration("0", "--max-age", serverSide)).toBe(0);
    expect(parseDuration("30d", "--max-age", serverSide)).toBe(30 * 86_400_000);
    expect(usage(() => parseDuration("300y", "--max-age", serverSide))).toMatch(/at most 292y/);
  });

  it.each(["", "soon", "5x", "s5", "5s garbage", "-1s", "1h-5m", "1mo"])("refuses %j", (input) => {
    expect(usage(() => parseDuration(input, "--max-age"))).toMatch(/invalid --max-age/);
  });
  it("refuses a number without a unit with natscli's hint, except 0", () => {
    expect(usage(() => parseDuration("30", "--timeout"))).toMatch(
      /--timeout "30": a duration needs a unit; did you mean 30s\?/,
    );
    expect(usage(() => parseDuration("1.5", "--grace"))).toMatch(/did you mean 1.5s\?/);
    expect(parseDuration("0", "--max-age", { zero: true })).toBe(0);
  });
  it.each(["1H", "5S", "3MS", "2Ms"])("refuses %j: units are case-sensitive", (input) => {
    expect(usage(() => parseDuration(input, "--max-age"))).toMatch(/case-sensitive/);
  });
  it("--since keeps the hint of a unit-less number", () => {
    expect(usage(() => parseTimePoint("30", "--since"))).toMatch(/did you mean 30s\?/);
    expect(parseTimePoint("1M", "--since", 100 * 86_400_000).getTime()).toBe(70 * 86_400_000);
  });
});

describe("validateStreamSubject", () => {
  it("refuses subjects that would capture JetStream's API", () => {
    for (const s of [">", "*.>", "$JS.>", "$JS.API.>", "*.*.>", "$JS.*.*", "*.API.INFO"])
      expect(usage(() => validateStreamSubject(s))).toMatch(/would capture JetStream's API/);
    for (const s of ["ORDERS.>", "TWITTERCLONE.*", "*", "$JS.EVENT.x", "*.EVENTS.>", "a.*"])
      expect(validateStreamSubject(s)).toBe(s);
  });
});

describe("parseSize", () => {
  it.each([
    ["1024", 1024],
    ["512k", 512 * 1024],
    ["10MB", 10 * 1024 ** 2],
    ["1GiB", 1024 ** 3],
    ["1.5kb", 1536],
  ])("%j → %d", (input, n) => expect(parseSize(input)).toBe(n));
  it.each(["", "lots", "10XB", "-5"])("refuses %j", (input) => void usage(() => parseSize(input)));
});

describe("parseCount and parseLimit", () => {
  it("takes whole numbers from the minimum", () => {
    expect(parseCount("3")).toBe(3);
    expect(parseCount("0", "n", 0)).toBe(0);
    usage(() => parseCount("0"));
    usage(() => parseCount("1.5"));
    usage(() => parseCount("abc"));
    usage(() => parseCount("99999999999999999999"));
  });
  it("maps -1 and unlimited to -1", () => {
    expect(parseLimit("-1", parseCount)).toBe(-1);
    expect(parseLimit("unlimited", parseCount)).toBe(-1);
    expect(parseLimit("7", parseCount)).toBe(7);
  });
});

describe("parseTimePoint", () => {
  it("reads RFC 3339 times and durations ago", () => {
    expect(parseTimePoint("2022-01-07T22:01:27Z").toISOString()).toBe("2022-01-07T22:01:27.000Z");
    expect(parseTimePoint("10m", "t", 1_000_000_000).getTime()).toBe(1_000_000_000 - 600_000);
    usage(() => parseTimePoint("2022-13-45T99:00:00Z"));
    usage(() => parseTimePoint("yesterday"));
  });
});

describe("validateStreamName", () => {
  it("accepts ordinary names", () => {
    expect(validateStreamName("TWITTERCLONE")).toBe("TWITTERCLONE");
    expect(validateStreamName("orders-2_v1")).toBe("orders-2_v1");
  });
  it.each(["", "a b", "a.b", "a*", "a>", "a/b", "a\\b", "tab\there", "x".repeat(256)])(
    "refuses %j",
    (name) => {
      expect(usage(() => validateStreamName(name))).toMatch(/invalid stream name/);
    },
  );
});

describe("validateSubject", () => {
  it("accepts subjects and wildcards", () => {
    for (const s of ["a", "a.b", "a.*", "a.>", "*", ">", "a.*.c"])
      expect(validateSubject(s)).toBe(s);
  });
  it("refuses malformed subjects", () => {
    for (const s of ["", "a..b", ".a", "a.", "a b", "a.>.c", "a.b*"])
      usage(() => validateSubject(s));
    usage(() => validateSubject("a.*", { wildcards: false }));
  });
});
