import { describe, expect, it } from "vitest";
import { ellipsize, fitting, visibleLength, wrapParts } from "../../src/output/format.js";
import { renderBulkProgress } from "../../src/output/publish.js";
import { fitColumns, type Column } from "../../src/output/table.js";
import { misspelledEventType, subjectsOverlap } from "../../src/subjects.js";

describe("fitting text to a terminal", () => {
  it("measures without colours and cuts with …", () => {
    expect(visibleLength("\u001b[1mbold\u001b[22m")).toBe(4);
    expect(ellipsize("hello world", 6)).toBe("hello…");
    expect(ellipsize("hello", 5)).toBe("hello");
  });
  it("picks the most detailed variant that fits, the first without a width", () => {
    expect(fitting(10, "a long variant", "short")).toBe("short");
    expect(fitting(undefined, "a long variant", "short")).toBe("a long variant");
    expect(fitting(3, "a long variant", "short")).toBe("short");
  });
  it("wraps at commas only when a width asks for it", () => {
    expect(wrapParts(["aaaa", "bbbb", "cccc"], undefined)).toBe("aaaa, bbbb, cccc");
    expect(wrapParts(["aaaa", "bbbb", "cccc"], 11)).toBe("aaaa, bbbb,\n  cccc");
  });
  it("never leaves a comma alone on a line nor splits a word (issue 18, item 16)", () => {
    // "aaaa, bbbb" is 10 columns: with its comma it would be 11, one too many
    expect(wrapParts(["aaaa", "bbbb", "cccc"], 10)).toBe("aaaa,\n  bbbb,\n  cccc");
    const long = "Published 1,000 events to stream WRAPTEST_ABCDEFGHIJK (seq 1-1000)";
    const out = wrapParts([long, "0 duplicates", "0 failed in 2s (500 events/s)"], 40);
    for (const line of out.split("\n")) {
      expect(visibleLength(line), line).toBeLessThanOrEqual(40);
      expect(line.trim()).not.toBe(",");
    }
    expect(out.replace(/\n {2}/g, " ")).toBe(
      `${long}, 0 duplicates, 0 failed in 2s (500 events/s)`,
    );
  });
  it("measures display width: wide 2, emoji 2, combining marks 0 (issue 18, item 17)", () => {
    expect(visibleLength("漢字かな")).toBe(8);
    expect(visibleLength("ｈｉ")).toBe(4);
    expect(visibleLength("😀")).toBe(2);
    expect(visibleLength("👩‍👩‍👧")).toBe(2);
    expect(visibleLength("🇫🇷")).toBe(2);
    expect(visibleLength("e\u0301te\u0301")).toBe(3);
    expect(visibleLength("a\u200bb")).toBe(2);
    expect(visibleLength("\u001b[31m漢\u001b[39m")).toBe(2);
  });
  it("cuts by display width, never inside a cluster or a wide character", () => {
    expect(ellipsize("漢字かな", 6)).toBe("漢字…");
    expect(visibleLength(ellipsize("漢字かな", 6))).toBe(5);
    expect(ellipsize("👩‍👩‍👧👩‍👩‍👧", 3)).toBe("👩‍👩‍👧…");
    expect(ellipsize("e\u0301e\u0301e\u0301", 2)).toBe("e\u0301…");
    expect(ellipsize("漢字", 4)).toBe("漢字");
  });
});

describe("fitting a table", () => {
  const columns: Column[] = [
    { header: "Name", minWidth: 4 },
    { header: "Description", minWidth: 5, dropRank: 2 },
    { header: "Created", dropRank: 1 },
    { header: "N" },
  ];
  const rows = [["NAME_IS_LONG", "a description", "2022-01-07 22:01:27", "1"]];
  it("keeps every column in full without a width", () => {
    expect(fitColumns(columns, rows, undefined)).toEqual({
      keep: [0, 1, 2, 3],
      widths: [12, 13, 19, 1],
    });
  });
  it("cuts the description, then drops Created, then cuts the name", () => {
    // full width: 12+13+19+1 + 3*4 + 1 = 58
    expect(fitColumns(columns, rows, 50).keep).toEqual([0, 1, 2, 3]);
    expect(fitColumns(columns, rows, 50).widths).toEqual([12, 5, 19, 1]);
    expect(fitColumns(columns, rows, 40)).toEqual({ keep: [0, 1, 3], widths: [12, 13, 1] });
    expect(fitColumns(columns, rows, 20)).toEqual({ keep: [0, 1, 3], widths: [4, 5, 1] });
    expect(fitColumns(columns, rows, 15)).toEqual({ keep: [0, 3], widths: [7, 1] });
  });
});

describe("subject typos", () => {
  it("spots near misses of the event types only", () => {
    expect(misspelledEventType("tweet_likes")).toBe("tweet_liked");
    expect(misspelledEventType("Tweet_Created")).toBe("tweet_created");
    expect(misspelledEventType("tweet_liked")).toBeUndefined();
    expect(misspelledEventType("orders")).toBeUndefined();
    expect(misspelledEventType("*")).toBeUndefined();
  });
});

describe("subject overlap", () => {
  it.each([
    ["A.b", "A.*", true],
    ["A.b.c", "A.*", false],
    ["A.>", "A.*", true],
    ["B.x", "A.*", false],
    ["*", "A.*", false],
    ["A", "A.>", false],
    [">", "A.*", true],
    ["A.*.c", "A.b.*", true],
  ])("%s and %s: %s", (a, b, want) => {
    expect(subjectsOverlap(a, b)).toBe(want);
    expect(subjectsOverlap(b, a)).toBe(want);
  });
});

describe("bulk progress", () => {
  const s = { published: 28_160, duplicates: 0, failed: 0 };
  it("tweet --count shows N (issue 18, item 19)", () => {
    expect(renderBulkProgress(s, "TWITTERCLONE", 200_000)).toBe(
      "Publishing to TWITTERCLONE: 28,160 of 200,000 published, 0 duplicates, 0 failed",
    );
    expect(renderBulkProgress(s, "S", undefined)).toBe(
      "Publishing to S: 28,160 published, 0 duplicates, 0 failed",
    );
  });
  it("fits beside the spinner on a narrow terminal", () => {
    const line = renderBulkProgress(s, "WRAPTEST_ABCDEFGHIJK_LONGER_STILL", 200_000, 80);
    expect(visibleLength(line) + 2).toBeLessThanOrEqual(80);
    expect(line).toContain("28,160 of 200,000 published");
  });
});
