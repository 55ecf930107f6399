#!/usr/bin/env node
// The longer partition runs kept out of CI (npm run partition): a 3-node cluster behind the
// test proxies (scripts/lib/tcp-proxy.mjs), and per round a bulk `publish --file` connected to
// the stream leader alone under one of: the leader cut off (held open), flapping (cut / heal
// every 2 s, five times), one way (the leader's bytes to its peers stop), route latency.
// After each round the copies are compared from every node's /jsz and the stored ids counted.
// One line per round; exit 1 when any round lost, doubled or diverged.
//
//   node scripts/partition-soak.mjs [--rounds 4] [--events 20000] [--latency 300]
// (NATS_SERVER_BIN picks the server, as for the tests)

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "nats";
import { startCluster } from "./lib/nats-cluster.mjs";

const BIN = fileURLToPath(new URL("../bin/tweetstream.js", import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "4" },
    events: { type: "string", default: "20000" },
    latency: { type: "string", default: "300" },
  },
});
const rounds = Number(values.rounds);
const events = Number(values.events);
const latencyMs = Number(values.latency);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), "ts-soak-"));

/** @param {string[]} args @param {string} url */
function cli(args, url) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NATS_URL: url, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (err += d));
  const exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
  return { exited, stdout: () => out, stderr: () => err };
}

/** @param {import("./lib/nats-cluster.mjs").Cluster} cluster @param {string} stream */
async function copies(cluster, stream) {
  const out = [];
  for (const n of cluster.nodes) {
    const res = /** @type {any} */ (
      await fetch(`http://127.0.0.1:${n.monitorPort}/jsz?accounts=true&streams=true`).then((r) =>
        r.json(),
      )
    );
    const s = (res.account_details ?? [])
      .flatMap((/** @type {any} */ a) => a.stream_detail ?? [])
      .find((/** @type {any} */ x) => x.name === stream);
    out.push(`${n.name}:${s ? `${s.state.messages}/${s.state.last_seq}` : "missing"}`);
  }
  return out;
}

const modes = ["cut", "flap", "one-way", "latency"];
const cluster = await startCluster({ proxied: true });
const net = /** @type {import("./lib/nats-cluster.mjs").Partition} */ (cluster.partition);
const nc = await connect({ servers: cluster.servers.split(",") });
const version = nc.info?.version ?? "?";
let bad = 0;
try {
  for (let round = 1; round <= rounds; round++) {
    const mode = modes[(round - 1) % modes.length] ?? "cut";
    const stream = `SOAK_${process.pid}_${round}`;
    const add = cli(["stream", "add", stream, "--replicas", "3"], cluster.servers);
    if ((await add.exited) !== 0) throw new Error(add.stderr());
    await cluster.waitStreamCurrent(stream);
    const leader = await cluster.streamLeader(stream);
    const file = join(dir, `${stream}.ndjson`);
    const lines = [];
    for (let i = 0; i < events; i++)
      lines.push(
        JSON.stringify({
          messageType: "tweet_created",
          id: `${stream}-${i}`,
          message: `m${i}`,
          author: "soak",
          date: new Date(0).toISOString(),
        }),
      );
    writeFileSync(file, lines.join("\n") + "\n");
    const run = cli(
      ["publish", "--stream", stream, "--file", file, "--json"],
      net.clientUrl(leader),
    );
    const jsm = await nc.jetstreamManager();
    for (;;) {
      const n = (await jsm.streams.info(stream).catch(() => undefined))?.state.messages ?? 0;
      if (n >= events / 10) break;
      await sleep(100);
    }
    if (mode === "cut") {
      net.isolate(leader);
      await sleep(10_000);
    } else if (mode === "flap") {
      for (let i = 0; i < 5; i++) {
        net.isolate(leader);
        await sleep(2_000);
        net.heal();
        await sleep(2_000);
      }
    } else if (mode === "one-way") {
      for (const n of cluster.nodes) if (n.name !== leader) net.cutOneWay(leader, n.name);
      await sleep(10_000);
    } else {
      net.latency(latencyMs);
      await sleep(10_000);
    }
    net.heal();
    const code = await run.exited;
    let agree = false;
    /** @type {string[]} */
    let seen = [];
    for (let i = 0; i < 60 && !agree; i++) {
      seen = await copies(cluster, stream);
      agree = new Set(seen.map((s) => s.split(":")[1])).size === 1;
      if (!agree) await sleep(500);
    }
    const state = (await jsm.streams.info(stream)).state;
    const ok = code === 0 && agree && state.messages === events;
    if (!ok) bad++;
    console.log(
      `nats-server ${version} round ${round} (${mode}, leader ${leader}): publish exit ${code}, ` +
        `stored ${state.messages} of ${events}, copies ${seen.join(" ")} ${ok ? "ok" : "DIVERGED OR LOST"}`,
    );
  }
} finally {
  await nc.close();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${rounds - bad} of ${rounds} rounds whole on nats-server ${version}`);
process.exitCode = bad > 0 ? 1 : 0;
