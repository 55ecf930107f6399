// Shared by the benchmarks: which Node binaries to compare on, and alternating timed runs
// of whole processes (so a load drift on the shared machine hits every case alike).

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const NODE24 = fileURLToPath(
  new URL("../../.cache/node24/node_modules/node/bin/node", import.meta.url),
);

/** @type {Array<{ label: string, path: string, version: string }> | undefined} */
let found;

/**
 * The Node running the bench, and Node 24 where .ci/run installs it (`npm install
 * --no-save --prefix .cache/node24 node@24`) if that is another version.
 */
export function nodes() {
  if (found) return found;
  found = [{ label: `node ${process.version}`, path: process.execPath, version: process.version }];
  if (existsSync(NODE24)) {
    const version = spawnSync(NODE24, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (version && version !== process.version)
      found.push({ label: `node ${version}`, path: NODE24, version });
  }
  return found;
}

/** @param {number[]} xs */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/**
 * One process run: its wall time (ms), or with `cpu` the CPU time it and its children
 * used (user + system, ms, from bash's `times`), which other load on a shared machine
 * barely changes. Throws if it does not exit 0.
 * @param {string[]} argv
 * @param {Record<string, string>} env
 * @param {boolean} [cpu]
 * @returns {Promise<number>}
 */
function once(argv, env, cpu = false) {
  const cmd = cpu ? ["bash", "-c", '"$@" >/dev/null; s=$?; times; exit $s', "bash", ...argv] : argv;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(/** @type {string} */ (cmd[0]), cmd.slice(1), {
      env: { ...process.env, ...env },
      stdio: ["ignore", cpu ? "pipe" : "ignore", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${argv.join(" ")} exited ${code}: ${stderr}`));
      if (!cpu) return resolve(ms);
      // the second line of `times`: the children's user and system time, e.g. 0m0.081s 0m0.020s
      const line = stdout.trim().split("\n").pop() ?? "";
      const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map(
        (m) => Number(m[1]) * 60 + Number(m[2]),
      );
      resolve(secs.reduce((a, b) => a + b, 0) * 1000);
    });
  });
}

/**
 * Runs each case once to warm the file cache (and Node's compile cache), then `runs`
 * rounds of every case in turn, each case timed once by the wall clock and once by its
 * CPU time; returns each case's median and minimum wall time and median CPU time (ms).
 * @param {Array<{ label: string, argv: string[], env?: Record<string, string> }>} cases
 * @param {number} runs
 */
export async function alternate(cases, runs) {
  /** @type {number[][]} */
  const wall = cases.map(() => []);
  /** @type {number[][]} */
  const cpu = cases.map(() => []);
  for (const c of cases) await once(c.argv, c.env ?? {});
  for (let r = 0; r < runs; r++)
    for (const [i, c] of cases.entries()) {
      wall[i]?.push(await once(c.argv, c.env ?? {}));
      cpu[i]?.push(await once(c.argv, c.env ?? {}, true));
    }
  return cases.map((c, i) => ({
    label: c.label,
    median: median(wall[i] ?? []),
    min: Math.min(...(wall[i] ?? [])),
    cpu: median(cpu[i] ?? []),
  }));
}
