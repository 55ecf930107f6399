// `npm ci` on a fresh clone prints no `npm warn install-scripts`: every locked package with an
// install script is reviewed in package.json's allowScripts (npm install-scripts approve|deny).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), "utf8"));

describe("install scripts", () => {
  it("every locked package with an install script is approved or denied in allowScripts", () => {
    const lock = read("package-lock.json") as {
      packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
    };
    const allow = (read("package.json").allowScripts ?? {}) as Record<string, boolean>;
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== "" && p.hasInstallScript)
      .map(([path, p]) => ({ name: path.replace(/^.*node_modules\//, ""), version: p.version }));
    expect(withScripts.map((p) => p.name)).toContain("esbuild");
    for (const { name, version } of withScripts) {
      const reviewed = name in allow || `${name}@${version}` in allow;
      expect(reviewed, `${name}@${version} is not in package.json's allowScripts`).toBe(true);
    }
    // esbuild's postinstall puts its native binary in place of the JS launcher: approved
    expect(allow.esbuild).toBe(true);
  });
});
