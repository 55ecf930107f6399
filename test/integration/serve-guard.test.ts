// serve answers only to its own names and origins (src/serve/guard.ts): a Host that is
// not one of serve's names is 421 on every route (DNS rebinding); a write from another
// site's page (an Origin neither serve's own nor --cors's) is 403 before anything is
// published; with --auth-token every write needs the bearer token (401), and beyond
// loopback without one serve warns. From raw HTTP requests (a Host header is ours to set
// there) and from chromium: another origin's form and no-cors fetch, a rebinding name
// mapped to 127.0.0.1 with --host-resolver-rules, and the page asking for the token.

import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, skipBrowserTests } from "../helpers/browser.js";
import { cliAgainst, waitFor } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { readStream, servesAgainst } from "../helpers/serve.js";

let server: TestServer;
const { ts } = cliAgainst(() => server.url);
const serves = servesAgainst(() => server.url);
const serveNew = (args: string[] = [], extraEnv: Record<string, string> = {}) =>
  serves.serveNew("GUARD", args, extraEnv);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to 127.0.0.1:port with exactly these headers (Host included). */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path, headers, setHost: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        // /events stays open: the status and headers are enough
        if (path.startsWith("/events") && res.statusCode === 200) {
          resolve({ status: 200, headers: res.headers, body: "" });
          req.destroy();
        }
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function tweet(port: number, message = "hi"): Promise<string> {
  const r = await send(
    port,
    "POST",
    "/tweets",
    { Host: `127.0.0.1:${port}`, "Content-Type": "application/json" },
    JSON.stringify({ message, author: "ann" }),
  );
  expect(r.status).toBe(201);
  return (JSON.parse(r.body) as { id: string }).id;
}

const likesStored = async (stream: string) =>
  (await readStream(server.url, stream)).filter((e) => e.subject.endsWith(".tweet_liked")).length;

/** A non-loopback IPv4 address of this machine, if it has one. */
function ownAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await serves.stopAll();
  await server?.stop();
});

describe("Host: serve answers to its own names only (HTTP)", () => {
  it("another name is 421 on every route, reads included; nothing is stored", async () => {
    const { serve, stream, port } = await serveNew();
    const id = await tweet(port);
    const routes: [string, string][] = [
      ["GET", "/"],
      ["GET", "/app.js"],
      ["GET", "/tweets"],
      ["GET", `/tweets/${id}`],
      ["GET", "/healthz"],
      ["GET", "/events"],
      ["OPTIONS", "/tweets"],
      ["POST", "/tweets"],
      ["POST", `/tweets/${id}/likes`],
    ];
    for (const host of [`rebind.test:${port}`, "rebind.test", `localhost:${port + 1}`, "a b"]) {
      for (const [method, path] of routes) {
        const r = await send(port, method, path, {
          Host: host,
          "Content-Type": "application/json",
        });
        expect([method, path, host, r.status]).toEqual([method, path, host, 421]);
        expect(JSON.parse(r.body)).toEqual({ error: expect.stringMatching(/host name/) });
        expect(r.headers["x-content-type-options"]).toBe("nosniff");
      }
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
      for (const [method, path] of routes.filter(([m]) => m === "GET")) {
        const r = await send(port, method, path, { Host: host });
        expect([path, host, r.status]).toEqual([path, host, 200]);
      }
    }
    expect(await likesStored(stream)).toBe(0);
    expect((await readStream(server.url, stream)).length).toBe(1);
    expect(serve.stderr()).not.toMatch(/beyond this machine/);
  });

  it("--allowed-hosts adds names (any port, or the one given); * turns the check off", async () => {
    const { port } = await serveNew(["--allowed-hosts", "tweets.example, Other.example:9"]);
    const status = async (host: string) =>
      (await send(port, "GET", "/tweets", { Host: host })).status;
    expect(await status("tweets.example")).toBe(200);
    expect(await status(`tweets.example:${port}`)).toBe(200);
    expect(await status("other.example:9")).toBe(200);
    expect(await status("other.example")).toBe(421);
    expect(await status("evil.example")).toBe(421);
    const any = await serveNew(["--allowed-hosts", "*"]);
    expect(await send(any.port, "GET", "/tweets", { Host: "evil.example" })).toMatchObject({
      status: 200,
    });
    const bad = await ts(["serve", "--allowed-hosts", "http://x/"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--allowed-hosts: "http:\/\/x\/" is not a host name/);
  });

  it("bound to :: (every address) it answers the machine's own addresses, and warns", async () => {
    const { serve, port } = await serveNew(["--host", "::"]);
    const own = ownAddress();
    for (const host of [`127.0.0.1:${port}`, `[::1]:${port}`, ...(own ? [`${own}:${port}`] : [])])
      expect([host, (await send(port, "GET", "/tweets", { Host: host })).status]).toEqual([
        host,
        200,
      ]);
    expect((await send(port, "GET", "/tweets", { Host: `rebind.test:${port}` })).status).toBe(421);
    expect(serve.stderr()).toMatch(
      /listening on ::, beyond this machine: anyone who can reach port \d+ can post tweets and likes; require a token for writes with --auth-token or TWEETSTREAM_SERVE_TOKEN/,
    );
  });
});

describe("Origin: no writes from other sites' pages (HTTP)", () => {
  it("a POST with a foreign Origin is 403 and stores nothing; serve's own origin, --cors and no Origin write", async () => {
    const { stream, port } = await serveNew(["--cors", "http://app.example"]);
    const id = await tweet(port);
    const like = (headers: Record<string, string>, body?: string) =>
      send(port, "POST", `/tweets/${id}/likes`, { Host: `127.0.0.1:${port}`, ...headers }, body);
    for (const origin of ["http://evil.example", "null", `http://localhost:${port}`]) {
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/json"]) {
        const r = await like({ Origin: origin, "Content-Type": type }, "");
        expect([origin, type, r.status]).toEqual([origin, type, 403]);
      }
    }
    const t = await send(
      port,
      "POST",
      "/tweets",
      {
        Host: `127.0.0.1:${port}`,
        Origin: "http://evil.example",
        "Content-Type": "application/json",
      },
      JSON.stringify({ message: "forged", author: "x" }),
    );
    expect(t.status).toBe(403);
    expect(await likesStored(stream)).toBe(0);
    // anonymous likes from plain clients, serve's own page, and --cors's origin
    expect((await like({})).status).toBe(202);
    expect((await like({ Origin: `http://127.0.0.1:${port}` })).status).toBe(202);
    expect((await like({ Origin: "http://app.example" })).status).toBe(202);
    expect(await likesStored(stream)).toBe(3);
    expect((await readStream(server.url, stream)).some((e) => e.data.includes("forged"))).toBe(
      false,
    );
  });
});

describe("--auth-token: writes need the token", () => {
  const TOKEN = "s3cret-Token_42";

  it("401 without it or with a wrong one, 2xx with it; reads need none; never printed", async () => {
    const { serve, stream, port } = await serveNew(["--host", "0.0.0.0"], {
      TWEETSTREAM_SERVE_TOKEN: TOKEN,
    });
    const host = { Host: `127.0.0.1:${port}`, "Content-Type": "application/json" };
    const body = JSON.stringify({ message: "with a token", author: "ann" });
    for (const auth of [undefined, "Bearer nope", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, "Bearer"]) {
      const r = await send(
        port,
        "POST",
        "/tweets",
        { ...host, ...(auth ? { Authorization: auth } : {}) },
        body,
      );
      expect([auth, r.status]).toEqual([auth, 401]);
      expect(r.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(r.body).not.toContain(TOKEN);
    }
    expect((await readStream(server.url, stream)).length).toBe(0);
    const ok = await send(
      port,
      "POST",
      "/tweets",
      { ...host, Authorization: `Bearer ${TOKEN}` },
      body,
    );
    expect(ok.status).toBe(201);
    const id = (JSON.parse(ok.body) as { id: string }).id;
    const like = await send(port, "POST", `/tweets/${id}/likes`, {
      Host: host.Host,
      Authorization: `bearer ${TOKEN}`,
    });
    expect(like.status).toBe(202);
    expect((await send(port, "GET", "/tweets", { Host: host.Host })).status).toBe(200);
    expect((await send(port, "GET", "/healthz", { Host: host.Host })).status).toBe(200);
    // a token set: no warning about open writes; the token appears nowhere
    expect(serve.stderr()).not.toMatch(/beyond this machine/);
    await serve.stop();
    expect(serve.stdout() + serve.stderr()).not.toContain(TOKEN);
  });

  it("an empty or spaced token is a usage error (exit 2), not echoed", async () => {
    for (const token of ["", "two words"]) {
      const r = await ts(["serve", "--auth-token", token]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--auth-token \(TWEETSTREAM_SERVE_TOKEN\) must be visible ASCII/);
      if (token) expect(r.stderr).not.toContain(token);
    }
  });
});

describe.skipIf(skipBrowserTests)("in chromium", () => {
  it("another origin's page cannot like with a text/plain form or a no-cors fetch", async () => {
    const { stream, serve, port } = await serveNew();
    const id = await tweet(port);
    const target = `${serve.url}/tweets/${encodeURIComponent(id)}/likes`;
    const page = `<!doctype html><title>evil</title>
<form id="f" method="POST" enctype="text/plain" action="${target}" target="sink"><input name="x" value=""></form>
<iframe name="sink"></iframe>`;
    const other = createServer((_req, res) => res.end(page));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    try {
      const { page: tab } = await browser.open(`${origin}/`);
      const answered = tab.waitForResponse((r) => r.url() === target);
      await tab.evaluate(`document.getElementById("f").submit()`);
      expect((await answered).status()).toBe(403);
      const noCors = tab.waitForResponse((r) => r.url() === target);
      await tab.evaluate(`fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors" })`);
      expect((await noCors).status()).toBe(403);
      expect(await likesStored(stream)).toBe(0);
    } finally {
      await browser.close();
      other.close();
    }
  });

  it("a rebinding name mapped to 127.0.0.1 is 421, page and API", async () => {
    const { port } = await serveNew();
    const browser = await launchBrowser(["--host-resolver-rules=MAP rebind.test 127.0.0.1"]);
    try {
      const { page } = await browser.open("about:blank");
      const res = await page.goto(`http://rebind.test:${port}/`);
      expect(res?.status()).toBe(421);
      const api = await page.goto(`http://rebind.test:${port}/tweets`);
      expect(api?.status()).toBe(421);
      expect(await page.textContent("body")).toMatch(/does not answer to that host name/);
      // the same serve, by its own name
      expect((await page.goto(`http://localhost:${port}/tweets`))?.status()).toBe(200);
    } finally {
      await browser.close();
    }
  });

  it("the page asks for the write token once, on a 401, and keeps it for the tab", async () => {
    const TOKEN = "page-token-7";
    const { stream, serve } = await serveNew([], { TWEETSTREAM_SERVE_TOKEN: TOKEN });
    const browser = await launchBrowser();
    try {
      const { page } = await browser.open(`${serve.url}/`);
      const prompts: string[] = [];
      page.on("dialog", (d) => {
        prompts.push(d.message());
        void d.accept(TOKEN);
      });
      await page.fill("#author", "ann");
      await page.fill("#message", "needs a token");
      await page.click("#send");
      await page.locator(".tweet-text", { hasText: "needs a token" }).waitFor();
      await page.locator(".tweet .like").first().click();
      await waitFor(async () => (await likesStored(stream)) === 1, 10_000);
      expect(prompts).toEqual(["This server needs a write token (serve --auth-token):"]);
      expect(await page.evaluate(`sessionStorage.getItem("tweetstream.token")`)).toBe(TOKEN);
      expect((await readStream(server.url, stream)).length).toBe(2);
    } finally {
      await browser.close();
    }
  });
});
