import { describe, expect, it } from "vitest";
import { clusterSteps, KILL, RESTART, shellQuote, STEPS } from "../../scripts/lib/demo-steps.mjs";

/** The lines a step prints before its output: `# <description>` and `$ tweetstream <args>`. */
function stepLines(steps: typeof STEPS): string[] {
  const saved = { tweet: { event: { id: "01JTESTTWEETID0000000000000" } } };
  return steps.flatMap(([what, argsOf]) => {
    if (argsOf === KILL || argsOf === RESTART) return [`# ${what}`];
    const args = typeof argsOf === "function" ? argsOf(saved) : argsOf;
    return [`# ${what}`, `$ tweetstream ${args.map(shellQuote).join(" ")}`];
  });
}

describe("the demo's steps fit 80 columns", () => {
  it.each([
    ["plain", STEPS],
    ["--cluster", clusterSteps(STEPS)],
  ])("%s", (_, steps) => {
    const lines = stepLines(steps);
    expect(lines.length).toBeGreaterThan(STEPS.length);
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
  });
});
