// Runs the built CLI with an import tracer: which modules did a command load?
// (start-up is a feature: --help must not load the NATS client, tweet must not load ora)

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, cleanEnv } from "./cli.js";

/** Exit code and the resolved module URLs, one a line. */
export async function traced(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; loads: string }> {
  const dir = mkdtempSync(join(tmpdir(), "ts-trace-"));
  const file = join(dir, "loads.txt");
  try {
    return await new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        ["--import", new URL("../fixtures/trace-imports.mjs", import.meta.url).href, BIN, ...args],
        { env: cleanEnv({ TRACE_FILE: file, ...env }), stdio: "ignore" },
      );
      child.on("close", (code) => {
        let loads = "";
        try {
          loads = readFileSync(file, "utf8");
        } catch {}
        resolve({ code, loads });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
