// A TCP proxy for partition tests: listens on 127.0.0.1 (ephemeral port) and forwards every
// connection to one upstream port on 127.0.0.1. Each direction can be cut with its sockets
// held open (reading stops, so the bytes wait in the kernel buffers and the sender's writes
// back up, as behind a dropped link; nothing is lost or reordered when healed), healed, or
// delayed by a fixed latency. "up" is client → upstream, "down" upstream → client.

import { createConnection, createServer } from "node:net";

/** @typedef {"up" | "down"} Direction */

/**
 * @typedef {object} TcpProxy
 * @property {number} port where it listens
 * @property {number} target the upstream port
 * @property {(dir?: Direction | "both") => void} cut stop forwarding (sockets kept open)
 * @property {(dir?: Direction | "both") => void} heal forward again, the held bytes first
 * @property {(ms: number) => void} latency delay every chunk by ms in both directions (0: none)
 * @property {() => number} connections links open now
 * @property {() => number[]} upstreamPorts the local ports of its links to the upstream
 * @property {() => Promise<void>} close close the listener and every link
 */

/**
 * One direction of one link: `from` read, written to `to`, in order, after the latency.
 * @param {import("node:net").Socket} from
 * @param {import("node:net").Socket} to
 * @param {{ cut: boolean, latency: number }} state read when each chunk arrives
 */
function pipe(from, to, state) {
  /** @type {Buffer[]} */
  const queue = [];
  let last = 0; // when the last delayed chunk is due: latency never reorders
  const forward = (/** @type {Buffer} */ chunk) => {
    if (state.latency <= 0 && queue.length === 0) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    queue.push(chunk);
    const due = Math.max(Date.now() + state.latency, last);
    last = due;
    setTimeout(
      () => {
        const next = queue.shift();
        if (next && !to.destroyed) to.write(next);
      },
      Math.max(0, due - Date.now()),
    );
  };
  from.on("data", forward);
  from.on("end", () => to.end());
  return {
    /** reading follows the cut: paused while cut, resumed when healed */
    apply() {
      if (state.cut) from.pause();
      else from.resume();
    },
  };
}

/**
 * @param {number} target upstream port on 127.0.0.1
 * @returns {Promise<TcpProxy>}
 */
export async function startTcpProxy(target) {
  const up = { cut: false, latency: 0 };
  const down = { cut: false, latency: 0 };
  /** @type {Set<{ apply(): void, sockets: import("node:net").Socket[] }>} */
  const links = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: target });
    const a = pipe(client, upstream, up);
    const b = pipe(upstream, client, down);
    const link = {
      sockets: [client, upstream],
      apply() {
        a.apply();
        b.apply();
      },
    };
    links.add(link);
    link.apply();
    const close = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const set = (/** @type {Direction | "both"} */ dir, /** @type {boolean} */ cut) => {
    if (dir !== "down") up.cut = cut;
    if (dir !== "up") down.cut = cut;
    for (const link of links) link.apply();
  };
  return {
    port,
    target,
    cut: (dir = "both") => set(dir, true),
    heal: (dir = "both") => set(dir, false),
    latency(ms) {
      up.latency = ms;
      down.latency = ms;
    },
    connections: () => links.size,
    upstreamPorts: () => [...links].map((l) => l.sockets[1]?.localPort ?? 0),
    close() {
      for (const link of links) for (const s of link.sockets) s.destroy();
      links.clear();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
