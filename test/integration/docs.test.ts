import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

describe("docs/commands.md", () => {
  it("is what `npm run docs` generates from the commands' --help (no drift)", () => {
    let code = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, ["scripts/docs.mjs", "--check"], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      code = (err as { status: number }).status;
      stderr = (err as { stderr: string }).stderr;
    }
    expect(stderr).toBe("");
    expect(code).toBe(0);
  }, 60_000);
});
