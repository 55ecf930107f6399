// Go programs as test fixtures (test/fixtures/<name>/main.go), built with the machine's Go in
// GOPATH mode: Debian's golang-go plus golang-github-nats-io-go-nats-dev under
// /usr/share/gocode, since the Go module proxy cannot be reached. Without them the tests are
// skipped on a workstation but fail under CI=true (.ci/run installs both).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { isCI } from "../../src/output/output.js";

/** Where Debian's golang-*-dev packages put their sources (a GOPATH entry). */
export const DEBIAN_GOPATH = "/usr/share/gocode";

export const hasGo = spawnSync("go", ["version"], { encoding: "utf8" }).status === 0;
export const hasGoNats = existsSync(join(DEBIAN_GOPATH, "src/github.com/nats-io/nats.go"));

/** The environment of go build / go run: GOPATH mode, no network, a reusable build cache. */
export function goEnv(gopath: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GO111MODULE: "off",
    GOPATH: `${DEBIAN_GOPATH}:${gopath}`,
    GOFLAGS: "",
    GOPROXY: "off",
    GOCACHE: process.env.GOCACHE ?? join(tmpdir(), "tweetstream-gocache"),
  };
}

/** Builds test/fixtures/<name> into `dir`; returns the binary's path or throws Go's output. */
export function buildGoFixture(name: string, dir: string): string {
  const source = new URL(`../fixtures/${name}`, import.meta.url).pathname;
  const binary = join(dir, name);
  const r = spawnSync("go", ["build", "-o", binary, "."], {
    cwd: source,
    env: goEnv(join(dir, "gopath")),
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`go build ${name} failed: ${r.stderr || r.error}`);
  return binary;
}

/**
 * describe() that runs only when `available`; under CI=true a missing toolchain is a failing
 * test (naming what .ci/run should have installed), not a skip.
 */
export function describeWithGo(
  name: string,
  available: boolean,
  needs: string,
  fn: () => void,
): void {
  describe(name, () => {
    it.runIf(!available && isCI())(`needs ${needs} under CI (.ci/run installs it)`, () => {
      throw new Error(`${needs} not found: CI must run the Go tests (apt-get install ${needs})`);
    });
  });
  describe.skipIf(!available)(name, fn);
}
