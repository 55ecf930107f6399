// The npm tarball as users get it: packed from the built tree, installed into a temporary
// prefix and run with npx, with no registry at all (everything is bundled into dist/, so
// the package has no dependencies to fetch). It carries the licence, and every source map
// in it carries its sources (nothing points at a src/ the tarball does not have).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cleanEnv, ROOT, uniqueStream } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";

const run = promisify(execFile);
let dir: string;
let tarball: string;
let files: string[];
let server: TestServer;

/** npm, offline, with its cache in the temp dir (never the user's). */
const npm = (args: string[]) =>
  run("npm", [...args, "--offline", "--no-audit", "--no-fund"], {
    cwd: ROOT,
    env: cleanEnv({
      npm_config_cache: join(dir, "npm-cache"),
      npm_config_update_notifier: "false",
    }),
    timeout: 60_000,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ts-pack-"));
  server = await startServer();
  // --ignore-scripts: the tree is built already (npm test builds first), and a rebuild
  // would replace dist/ under the other test files running now
  const { stdout } = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir]);
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, info!.filename);
  files = info!.files.map((f) => f.path);
  await npm(["install", "--global", "--prefix", join(dir, "prefix"), tarball]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm package", () => {
  it("holds the licence, the bin and the bundle; no sources, no maps without their sources", () => {
    expect(files).toContain("LICENSE");
    expect(files).toContain("bin/tweetstream.js");
    expect(files).toContain("dist/cli.js");
    expect(files).toContain("dist/THIRD-PARTY-LICENSES.txt");
    expect(files.filter((f) => f.startsWith("src/"))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License/);
    expect(pkg.dependencies ?? {}).toEqual({});
    const maps = files.filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    const installed = join(dir, "prefix", "lib", "node_modules", "tweetstream");
    for (const map of maps) {
      const m = JSON.parse(readFileSync(join(installed, map), "utf8"));
      expect(m.sourcesContent?.length, map).toBe(m.sources.length);
      expect(
        m.sourcesContent.every((s: unknown) => typeof s === "string"),
        map,
      ).toBe(true);
    }
  });

  it("installs into a prefix and publishes a tweet from there", async () => {
    const bin = join(dir, "prefix", "bin", "tweetstream");
    const version = await run(bin, ["--version"], { env: cleanEnv() });
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version,
    );
    const stream = uniqueStream("PKG");
    const env = cleanEnv({ NATS_URL: server.url });
    await run(bin, ["stream", "add", stream], { env });
    const r = await run(bin, ["tweet", "from the tarball", "--stream", stream, "--json"], { env });
    expect(JSON.parse(r.stdout)).toMatchObject({ stream, seq: 1 });
  });

  it("runs with npx from the tarball", async () => {
    const r = await npm(["exec", "--yes", `--package=${tarball}`, "--", "tweetstream", "--help"]);
    expect(r.stdout).toMatch(/^Usage: tweetstream/);
  });
});
