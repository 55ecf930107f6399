// serve for operators: --log-format json and GET /metrics, against a real nats-server.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, uniqueStream, waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { startServe, type ServeProcess } from "../helpers/serve.js";

let server: TestServer;
const serves: ServeProcess[] = [];
const env = () => ({ NATS_URL: server.url });

async function serve(stream: string, args: string[] = []): Promise<ServeProcess> {
  const s = await startServe(["--stream", stream, ...args], env());
  serves.push(s);
  return s;
}

async function newStream(): Promise<string> {
  const name = uniqueStream("OPS");
  const r = await runCli(["stream", "add", name], { env: env() });
  expect(r.code).toBe(0);
  return name;
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const s of serves) await s.stop("SIGKILL");
  await server?.stop();
});

describe("serve --log-format json", () => {
  const lines = (s: ServeProcess) =>
    s
      .stderr()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it("writes access lines and warnings as one JSON object a line on stderr", async () => {
    const stream = await newStream();
    const s = await serve(stream, ["--access-log", "--log-format", "json", "--host", "0.0.0.0"]);
    const url = s.url.replace("0.0.0.0", "127.0.0.1");
    await (await fetch(`${url}/tweets?limit=1`)).text();
    await (await fetch(`${url}/nowhere/%1b%5b2J`)).text();
    await waitFor(() => lines(s).length >= 3, 10_000, "a warning and two access lines");
    const warning = lines(s).find((o) => o.level === "warn");
    expect(String(warning?.message)).toMatch(/anyone who can reach port/);
    expect(Date.parse(String(warning!.time))).not.toBeNaN();
    const access = lines(s).filter((o) => o.msg === "request");
    expect(access[0]).toMatchObject({
      level: "info",
      method: "GET",
      path: "/tweets?limit=1",
      status: 200,
    });
    expect(typeof access[0]!.ms).toBe("number");
    expect(Date.parse(String(access[0]!.time))).not.toBeNaN();
    expect(access[1]).toMatchObject({ status: 404, path: "/nowhere/%1b%5b2J" });
    // stdout keeps only the listening line
    expect(s.stdout().trim().split("\n")).toHaveLength(1);
  });

  it("never logs the write token, even when a client puts it in a URL", async () => {
    const stream = await newStream();
    const t = await startServe(["--stream", stream, "--access-log", "--log-format=json"], {
      ...env(),
      TWEETSTREAM_SERVE_TOKEN: "tok-never-logged",
    });
    serves.push(t);
    await (await fetch(`${t.url}/tweets?q=tok-never-logged`)).text();
    await waitFor(() => lines(t).length >= 1, 10_000, "an access line");
    expect(lines(t)[0]).toMatchObject({ path: "/tweets?q=***", status: 200 });
    expect(t.stderr()).not.toContain("tok-never-logged");
  });
});
