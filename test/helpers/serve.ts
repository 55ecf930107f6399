// Runs `tweetstream serve --port 0 --json` (the built CLI) as a child process and
// reads the address it prints; the test stops it by its PID. Also a small direct
// nats.js reader, so tests check the stream itself rather than trusting the server.

import { spawn, type ChildProcess } from "node:child_process";
import { connect, DeliverPolicy, StringCodec, type NatsConnection } from "nats";
import { BIN, cleanEnv, cliAgainst } from "./cli.js";

export interface ServeProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** sends `signal` and resolves with the exit code (SIGKILL after `timeoutMs`) */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export async function startServe(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--json", ...args], {
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start within ${timeoutMs}ms: ${stderr}`));
    }, timeoutMs);
    const onData = () => {
      const line = stdout.split("\n")[0];
      if (!stdout.includes("\n") || !line) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve((JSON.parse(line) as { url: string }).url);
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening: ${stderr}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop(signal = "SIGTERM", stopTimeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      process.kill(child.pid!, signal);
      const t = setTimeout(() => child.pid && child.kill("SIGKILL"), stopTimeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface StoredEvent {
  seq: number;
  subject: string;
  msgId: string | undefined;
  data: string;
}

/** Every message of `stream`, read with an ordered consumer. */
export async function readStream(url: string, stream: string): Promise<StoredEvent[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const out: StoredEvent[] = [];
    if (last === 0) return out;
    const consumer = await nc.jetstream().consumers.get(stream, {
      // (DeliverPolicy.All makes nats.js 2.29 send an opt_start_seq the server refuses)
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 1,
    });
    const sc = StringCodec();
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const m of messages) {
      out.push({
        seq: m.seq,
        subject: m.subject,
        msgId: m.headers?.get("Nats-Msg-Id") || undefined,
        data: sc.decode(m.data),
      });
      if (m.seq >= last || m.info.pending === 0) break;
    }
    messages.stop();
    return out;
  } finally {
    await nc.close();
  }
}

/** A plain nats.js connection for a test to publish as "another client". */
export function natsClient(url: string): Promise<NatsConnection> {
  return connect({ servers: url });
}

/** Runs `task` for 0…n-1 with at most `concurrency` at a time. */
export async function withConcurrency<T>(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return results;
}

/** serve's /healthz status (0 when it does not answer at all). */
export function healthStatus(url: string): Promise<number> {
  return fetch(`${url}/healthz`).then(
    (r) => r.status,
    () => 0,
  );
}

/** Tweets and like counts by tweet id, counted from the stream itself (what serve must say). */
export async function recountStream(
  url: string,
  stream: string,
): Promise<{ tweets: number; likes: Map<string, number> }> {
  const likes = new Map<string, number>();
  let tweets = 0;
  for (const m of await readStream(url, stream)) {
    const e = JSON.parse(m.data) as { messageType: string; id: string };
    if (e.messageType === "tweet_created") {
      tweets++;
      likes.set(e.id, likes.get(e.id) ?? 0);
    } else likes.set(e.id, (likes.get(e.id) ?? 0) + 1);
  }
  return { tweets, likes };
}

/** A new stream (`stream add`, prefix `prefix`) on the server at `natsUrl`, and serve on it. */
export async function serveNewStream(
  natsUrl: string,
  prefix: string,
  args: string[] = [],
): Promise<{ stream: string; serve: ServeProcess }> {
  const stream = await cliAgainst(() => natsUrl).newStream([], prefix);
  return { stream, serve: await startServe(["--stream", stream, ...args], { NATS_URL: natsUrl }) };
}

export interface ServeGroup {
  /** serve on `stream` (`args` after --stream; `env` over NATS_URL) */
  serve(
    stream: string,
    args?: string[],
    env?: Record<string, string | undefined>,
  ): Promise<ServeProcess>;
  /** a new stream (prefix `prefix`) and serve on it, with its port */
  serveNew(
    prefix: string,
    args?: string[],
    env?: Record<string, string | undefined>,
  ): Promise<{ stream: string; serve: ServeProcess; port: number }>;
  /** a serve started otherwise, stopped with the others */
  track(serve: ServeProcess): ServeProcess;
  /** SIGKILL every serve of the group (afterAll) */
  stopAll(): Promise<void>;
}

/** The serve processes of one test file, against the server at `natsUrl` (read at each call). */
export function servesAgainst(natsUrl: () => string): ServeGroup {
  const running: ServeProcess[] = [];
  const track = (s: ServeProcess) => (running.push(s), s);
  const serve = async (stream: string, args: string[] = [], env = {}) =>
    track(await startServe(["--stream", stream, ...args], { NATS_URL: natsUrl(), ...env }));
  return {
    serve,
    async serveNew(prefix, args = [], env = {}) {
      const stream = await cliAgainst(natsUrl).newStream([], prefix);
      const s = await serve(stream, args, env);
      return { stream, serve: s, port: Number(new URL(s.url).port) };
    },
    track,
    async stopAll() {
      for (const s of running) await s.stop("SIGKILL");
    },
  };
}
