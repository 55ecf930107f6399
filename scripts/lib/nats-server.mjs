// A real nats-server for tests, benchmarks and the demo: 127.0.0.1, an ephemeral port,
// a temporary store dir; stopped (SIGKILL, by its PID) and the store removed afterwards.
// Found through NATS_SERVER_BIN, then PATH (and /usr/sbin, where Debian installs it),
// then the sid build fetched by scripts/install-nats-server.sh.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

/** @returns {string | undefined} */
export function findServerBinary() {
  const explicit = process.env.NATS_SERVER_BIN;
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    const candidate = join(dir, "nats-server");
    if (dir && existsSync(candidate)) return candidate;
  }
  const cached = fileURLToPath(
    new URL("../../.cache/nats-server-sid/usr/sbin/nats-server", import.meta.url),
  );
  return existsSync(cached) ? cached : undefined;
}

/** @param {string | undefined} bin */
export function serverVersion(bin = findServerBinary()) {
  if (!bin) return "none";
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return (r.stdout || r.stderr).trim().replace(/^nats-server:\s*/, "");
}

/**
 * @typedef {object} ServerOptions
 * @property {boolean} [jetstream] enable JetStream (default true)
 * @property {string[]} [args] extra arguments, e.g. ["--user", "a", "--pass", "b"]
 * @property {number} [port] reuse this port (restarts)
 * @property {string} [storeDir] reuse this store dir (restarts)
 */

/**
 * @typedef {object} TestServer
 * @property {string} url
 * @property {number} port
 * @property {string} storeDir
 * @property {number} pid
 * @property {() => Promise<void>} kill SIGKILL and wait; the store is kept for restart()
 * @property {() => Promise<void>} restart start again on the same port and store
 * @property {() => Promise<void>} stop kill and remove the store
 */

const LISTEN = /Listening for client connections on [^\s]*:(\d+)/;

/**
 * @param {string} bin
 * @param {ServerOptions} opts
 * @param {string} storeDir
 * @returns {Promise<{ child: import("node:child_process").ChildProcess, port: number }>}
 */
async function launch(bin, opts, storeDir) {
  const args = ["-a", "127.0.0.1", "-p", String(opts.port ?? -1)];
  if (opts.jetstream !== false) args.push("-js", "-sd", storeDir);
  args.push(...(opts.args ?? []));
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  const stderr = /** @type {import("node:stream").Readable} */ (child.stderr);
  let log = "";
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`nats-server did not start within 15s:\n${log}`));
    }, 15_000);
    const onData = (/** @type {Buffer} */ chunk) => {
      log += chunk.toString();
      const m = LISTEN.exec(log);
      if (m && (opts.jetstream === false || /Server is ready/.test(log))) {
        clearTimeout(timer);
        stderr.off("data", onData);
        child.off("exit", onExit);
        resolve(Number(m[1]));
      }
    };
    const onExit = (/** @type {number | null} */ code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`));
    };
    stderr.on("data", onData);
    child.once("exit", onExit);
  });
  stderr.resume();
  return { child, port };
}

/**
 * @param {ServerOptions} [opts]
 * @returns {Promise<TestServer>}
 */
export async function startServer(opts = {}) {
  const bin = findServerBinary();
  if (!bin)
    throw new Error("nats-server not found: set NATS_SERVER_BIN or put nats-server on PATH");
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "tweetstream-js-"));
  let { child, port } = await launch(bin, opts, storeDir);
  const killChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", () => resolve(undefined)));
    child.kill("SIGKILL");
    await exited;
  };
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    get pid() {
      return child.pid ?? -1;
    },
    kill: killChild,
    async restart() {
      await killChild();
      // the port can linger for a moment after a kill: retry for a few seconds
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          ({ child } = await launch(bin, { ...opts, port }, storeDir));
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async stop() {
      await killChild();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
