import { describe, expect, it } from "vitest";
import { safeText } from "../../src/output/safe-text.js";

describe("safeText", () => {
  it("turns every control that could drive a terminal into a visible escape", () => {
    expect(safeText("a\u001b]0;title\u0007b")).toBe("a\\u001b]0;title\\u0007b");
    expect(safeText("\u009b2J")).toBe("\\u009b2J"); // 8-bit CSI
    expect(safeText("x\ry\bz\u007f")).toBe("x\\ry\\u0008z\\u007f");
    expect(safeText("evil\u202efdp.exe")).toBe("evil\\u202efdp.exe"); // bidi override
    expect(safeText("one\ntwo\tthree")).toBe("one\\ntwo\\tthree");
  });
  it("keeps newlines when asked, and leaves ordinary text alone", () => {
    expect(safeText("one\ntwo\u001b", { keepNewlines: true })).toBe("one\ntwo\\u001b");
    const text = "héllo wörld ✓ 日本 😀 \uFFFD";
    expect(safeText(text)).toBe(text);
  });
});
