// The word being completed, unquoted as a POSIX shell reads it, with nothing expanded.
import { describe, expect, it } from "vitest";
import { unquoteWord } from "../../src/completion/candidates.js";

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
