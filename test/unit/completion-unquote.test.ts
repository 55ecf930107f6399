// The word being completed, unquoted as a POSIX shell reads it, with nothing expanded.
import { describe, expect, it } from "vitest";
import { quoteForBash, readWord, unquoteWord } from "../../src/completion/candidates.js";

describe("unquoteWord", () => {
  it.each([
    ["", ""],
    ["plain", "plain"],
    ["'a b'", "a b"],
    ['"a b"', "a b"],
    ["a\\ b", "a b"],
    ["$(touch x)", "$(touch x)"],
    ["\\$\\(t", "$(t"],
    ["'$(t", "$(t"],
    ['"\\$(t', "$(t"],
    ['"a\\b"', "a\\b"],
    ["'it'\\''s'", "it's"],
    ["`x`", "`x`"],
    ["*", "*"],
    ["\\", "\\"],
    ["héllo", "héllo"],
  ])("%j is %j", (word, expected) => {
    expect(unquoteWord(word)).toBe(expected);
  });
});

describe("readWord and quoteForBash", () => {
  it("says which quote is still open", () => {
    expect(readWord("'$(t")).toEqual({ text: "$(t", open: "'" });
    expect(readWord('a"b')).toEqual({ text: "ab", open: '"' });
    expect(readWord("'a'")).toEqual({ text: "a" });
  });

  it.each([
    ["plain-name_1.2", undefined, "plain-name_1.2"],
    ["$(touch${IFS}X)", undefined, "\\$\\(touch\\$\\{IFS\\}X\\)"],
    ["`x`;y&z|w<v>u", undefined, "\\`x\\`\\;y\\&z\\|w\\<v\\>u"],
    ["q'uo\"te", undefined, "q\\'uo\\\"te"],
    ["g?ob[a-z]*", undefined, "g\\?ob\\[a-z\\]\\*"],
    ["~root", undefined, "\\~root"],
    ["#x!", undefined, "\\#x\\!"],
    ["a b", undefined, "a\\ b"],
    ["héllo_✓", undefined, "héllo_✓"],
    ["it's $x", "'", "it'\\''s $x"],
    ['say "$x" `y` \\', '"', 'say \\"\\$x\\" \\`y\\` \\\\'],
  ] as const)("%j inside %j is %j", (name, open, quoted) => {
    expect(quoteForBash(name, open)).toBe(quoted);
  });
});
