// docs/workers.md's examples, run as they are written: every ```sh block, in order, by bash
// with `set -e` in one directory, `tweetstream` on PATH (the built CLI) and NATS_URL set.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BIN, cleanEnv, ROOT, runProcess } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "ts-workers-doc-"));
  writeFileSync(join(dir, "tweetstream"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(dir, "tweetstream"), 0o755);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const blocks = [
  ...readFileSync(join(ROOT, "docs/workers.md"), "utf8").matchAll(/^```sh\n([\s\S]*?)^```$/gm),
].map((m) => m[1]!);

it("docs/workers.md has its examples", () => {
  expect(blocks.length).toBeGreaterThanOrEqual(5);
});

for (const [i, block] of blocks.entries()) {
  it(`docs/workers.md example ${i + 1} runs`, async () => {
    const r = await runProcess("/bin/bash", ["-c", `cd "${dir}"\nset -e\n${block}`], {
      env: cleanEnv({ NATS_URL: server.url, PATH: `${dir}:${process.env.PATH}` }),
      timeoutMs: 60_000,
      name: `example ${i + 1}`,
    });
    expect(r.code, `${block}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  }, 70_000);
}
