// Runs the built CLI with an import tracer: which modules did a command load?
// (start-up is a feature: --help must not load the NATS client, tweet must not load ora)
// The CLI is a bundle (scripts/build.mjs): each loaded chunk is reported as the files it
// holds, read from the build's metafile, so `node_modules/nats/` means nats.js was loaded.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BIN, cleanEnv, ROOT } from "./cli.js";

/** file URL of each built chunk → the source files and package files bundled into it */
function chunkContents(): Map<string, string[]> {
  const meta = JSON.parse(readFileSync(join(ROOT, ".cache/build-meta.json"), "utf8")) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const chunks = new Map<string, string[]>();
  for (const [out, { inputs }] of Object.entries(meta.outputs))
    chunks.set(pathToFileURL(join(ROOT, out)).href, Object.keys(inputs));
  return chunks;
}

/** Exit code and the loaded modules, one a line: bundled files by their source path. */
export async function traced(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; loads: string }> {
  const chunks = chunkContents();
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
        let urls: string[] = [];
        try {
          urls = readFileSync(file, "utf8").split("\n");
        } catch {}
        const loads = urls.flatMap((url) => chunks.get(url) ?? [url]).join("\n");
        resolve({ code, loads });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
