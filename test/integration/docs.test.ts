import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers/cli.js";

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

describe("README front page", () => {
  it("has the two commands and a row for every command in its table", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("npm run demo");
    expect(readme).toContain("npm test");
    const table = readme.slice(readme.indexOf("## Commands"));
    const help = (await runCli(["--help"])).stdout;
    const commands = help
      .split(/^Commands:\n/m)[1]!
      .split("\n\n")[0]!
      .split("\n")
      .map((l) => /^ {2}([a-z][\w-]*)/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined && c !== "help");
    expect(commands.length).toBeGreaterThan(5);
    // the first cell of some row names the command
    for (const c of commands) expect(table, c).toMatch(new RegExp("^\\| [^|]*`" + c + "\\b", "m"));
  });
});
