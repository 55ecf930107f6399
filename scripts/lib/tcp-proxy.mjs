// A TCP proxy for partition tests: listens on 127.0.0.1 (ephemeral port) and forwards every
// connection to one upstream port on 127.0.0.1. Each direction of a link can be cut with its
// sockets held open (reading stops and what was read waits, so the sender's writes back up as
// behind a dropped link; nothing is lost or reordered when healed), healed, or delayed by a
// fixed latency. "up" is client → upstream, "down" upstream → client. A link can be tagged
// from the first bytes its client sends (a nats-server route's CONNECT names the server), so
// that cuts apply to the links from one source only.

import { createConnection, createServer } from "node:net";

/** @typedef {"up" | "down"} Direction */
/** @typedef {{ up: boolean, down: boolean }} Cut */

/**
 * @typedef {object} TcpProxy
 * @property {number} port where it listens
 * @property {number} target the upstream port
 * @property {(dir?: Direction | "both") => void} cut stop forwarding on every link (sockets kept open)
 * @property {(dir?: Direction | "both") => void} heal forward again, the held bytes first
 * @property {(policy: (tag: string) => Cut) => void} cutByTag what each link is cut in, by its tag
 * @property {(ms: number) => void} latency delay every chunk by ms in both directions (0: none)
 * @property {() => number} connections links open now
 * @property {() => string[]} tags the tag of every link open now
 * @property {() => number[]} upstreamPorts the local ports of its links to the upstream
 * @property {() => Promise<void>} close close the listener and every link
 */

/**
 * One direction of one link: `from` read, written to `to` in order, after the latency; while
 * cut, reading is paused and whatever was already read is held.
 * @param {import("node:net").Socket} from
 * @param {import("node:net").Socket} to
 * @param {() => boolean} isCut
 * @param {() => number} latency
 * @param {(chunk: Buffer) => void} [first] called with the first chunk, before it is forwarded
 */
function pipe(from, to, isCut, latency, first) {
  /** @type {Buffer[]} */
  const held = [];
  let last = 0; // when the last delayed chunk is due: latency never reorders
  let pending = 0;
  let seen = false;
  const write = (/** @type {Buffer} */ chunk) => {
    const ms = latency();
    if (ms <= 0 && pending === 0) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    pending++;
    const due = Math.max(Date.now() + ms, last);
    last = due;
    setTimeout(
      () => {
        pending--;
        if (!to.destroyed) to.write(chunk);
      },
      Math.max(0, due - Date.now()),
    );
  };
  const apply = () => {
    if (isCut()) {
      from.pause();
      return;
    }
    while (held.length > 0) write(/** @type {Buffer} */ (held.shift()));
    from.resume();
  };
  from.on("data", (/** @type {Buffer} */ chunk) => {
    if (!seen) {
      seen = true;
      first?.(chunk);
    }
    if (isCut()) {
      held.push(chunk);
      from.pause();
    } else write(chunk);
  });
  from.on("end", () => to.end());
  return { apply };
}

/**
 * @param {number} target upstream port on 127.0.0.1
 * @param {{ tagOf?: (firstChunk: Buffer) => string }} [opts] how a link's tag is read
 * @returns {Promise<TcpProxy>}
 */
export async function startTcpProxy(target, opts = {}) {
  /** @type {Cut} */
  const all = { up: false, down: false };
  /** @type {(tag: string) => Cut} */
  let policy = () => ({ up: false, down: false });
  let delay = 0;
  /** @type {Set<{ apply(): void, tag(): string, sockets: import("node:net").Socket[] }>} */
  const links = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: target });
    let tag = "";
    const cutNow = () => {
      const p = policy(tag);
      return { up: all.up || p.up, down: all.down || p.down };
    };
    /** @type {{ apply(): void }} */
    let a = { apply() {} };
    const b = pipe(
      upstream,
      client,
      () => cutNow().down,
      () => delay,
    );
    a = pipe(
      client,
      upstream,
      () => cutNow().up,
      () => delay,
      (chunk) => {
        if (opts.tagOf) tag = opts.tagOf(chunk);
        // the tag may cut the way back too
        b.apply();
      },
    );
    const link = {
      tag: () => tag,
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
  const refresh = () => {
    for (const link of links) link.apply();
  };
  const set = (/** @type {Direction | "both"} */ dir, /** @type {boolean} */ cut) => {
    if (dir !== "down") all.up = cut;
    if (dir !== "up") all.down = cut;
    if (!cut) policy = () => ({ up: false, down: false });
    refresh();
  };
  return {
    port,
    target,
    cut: (dir = "both") => set(dir, true),
    heal: (dir = "both") => set(dir, false),
    cutByTag(p) {
      policy = p;
      refresh();
    },
    latency(ms) {
      delay = ms;
    },
    connections: () => links.size,
    tags: () => [...links].map((l) => l.tag()),
    upstreamPorts: () => [...links].map((l) => l.sockets[1]?.localPort ?? 0),
    close() {
      for (const link of links) for (const s of link.sockets) s.destroy();
      links.clear();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
