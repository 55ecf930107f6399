// serve's web page in a real browser (Debian's chromium through playwright-core): it
// loads cleanly, writes once, shows events from any producer live, renders hostile
// text as text, recovers after serve restarts, fits a 360-px phone. Plus the page's
// headers and --cors, checked with fetch.

import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, skipBrowserTests, type Browser } from "../helpers/browser.js";
import { ROOT, runCli, cliAgainst, delay } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { readStream, servesAgainst } from "../helpers/serve.js";
import { anyJson, postTweet as postTweetAs } from "../helpers/http.js";

let server: TestServer;
let browser: Browser | undefined;
const serves = servesAgainst(() => server.url);
const { ts } = cliAgainst(() => server.url);

/** A new stream and a serve over it. */
const serveNew = (args: string[] = []) => serves.serveNew("WEB", args);

/** POST /tweets answered 201: the tweet stored. */
async function postTweet(url: string, message: string, author = "ann") {
  const res = await postTweetAs(url, message, author);
  expect(res.status).toBe(201);
  return anyJson(await res.json()) as { id: string; seq: number };
}

/** The stored events of a stream, parsed. */
async function storedEvents(stream: string) {
  return (await readStream(server.url, stream)).map((e) => ({
    subject: e.subject,
    ...(JSON.parse(e.data) as { id: string; message: string; author: string }),
  }));
}

/** Where screenshots go: docs/ with UPDATE_SCREENSHOTS=1 (then commit them), else .cache/. */
function screenshotPath(name: string): string {
  const dir = process.env.UPDATE_SCREENSHOTS === "1" ? "docs" : ".cache/screenshots";
  mkdirSync(join(ROOT, dir), { recursive: true });
  return join(ROOT, dir, name);
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await browser?.close();
  await serves.stopAll();
  await server?.stop();
});

describe("the page's headers and --cors (HTTP)", () => {
  it("serves the page with a strict CSP and nosniff; the API has nosniff and no CORS by default", async () => {
    const { serve } = await serveNew();
    const page = await fetch(`${serve.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i); // nothing inline
    for (const asset of ["/app.js", "/app.css", "/favicon.svg"]) {
      const r = await fetch(serve.url + asset);
      expect(r.status, asset).toBe(200);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const etag = page.headers.get("etag")!;
    expect((await fetch(`${serve.url}/`, { headers: { "If-None-Match": etag } })).status).toBe(304);

    const api = await fetch(`${serve.url}/tweets`, {
      headers: { Origin: "http://elsewhere.test" },
    });
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
    expect(api.headers.get("access-control-allow-origin")).toBeNull();
    expect(anyJson(await api.json()).last_seq).toBe(0);
    const preflight = await fetch(`${serve.url}/tweets`, {
      method: "OPTIONS",
      headers: { Origin: "http://elsewhere.test", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(405);
  });

  it("GET /tweets last_seq: /events?since=<last_seq> continues the timeline with the next event", async () => {
    const { serve } = await serveNew();
    const first = await postTweet(serve.url, "one");
    await postTweet(serve.url, "two");
    const like = await fetch(`${serve.url}/tweets/${first.id}/likes`, { method: "POST" });
    expect(like.status).toBe(202);
    // right after this serve's own writes: the answer waits for the follower, so it is exact
    const page = anyJson(await (await fetch(`${serve.url}/tweets`)).json());
    expect(page.last_seq).toBe(3);
    expect(page.tweets.map((t: any) => [t.message, t.likes])).toEqual([
      ["two", 0],
      ["one", 1],
    ]);
    const events = await fetch(`${serve.url}/events?since=${page.last_seq}`);
    const reader = events.body!.getReader();
    await postTweet(serve.url, "three");
    let text = "";
    while (!/^id: .*\n(.*\n)*\n/m.test(text)) {
      text += new TextDecoder().decode((await reader.read()).value);
    }
    expect(text.match(/^id: \d+$/gm)).toEqual(["id: 4"]);
    await reader.cancel();
  });

  it("--cors <origin> answers preflights and marks answers for that origin only", async () => {
    const origin = "http://localhost:5173";
    const { serve } = await serveNew(["--cors", origin]);
    const preflight = (from: string) =>
      fetch(`${serve.url}/tweets`, {
        method: "OPTIONS",
        headers: {
          Origin: from,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type,idempotency-key",
        },
      });
    const ok = await preflight(origin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(origin);
    expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/Idempotency-Key/);
    const refused = await preflight("http://evil.test");
    expect(refused.status).toBe(204);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();

    const res = await fetch(`${serve.url}/tweets`, {
      method: "POST",
      headers: { Origin: origin, "Content-Type": "application/json" },
      body: JSON.stringify({ message: "cross-origin", author: "ann" }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Location/);
    expect(res.headers.get("vary")).toMatch(/Origin/);

    const bad = await ts(["serve", "--port", "0", "--cors", "localhost:5173/app"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cors: .* is not an origin/);
  });
});

describe.skipIf(skipBrowserTests)("the page in chromium", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });

  it("loads without console errors, with a favicon, and shows the connection as live", async () => {
    const { serve } = await serveNew();
    await postTweet(serve.url, "already there");
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    await page.locator("article", { hasText: "already there" }).waitFor();
    const icon = await page.evaluate(async () => (await fetch("/favicon.svg")).status);
    expect(icon).toBe(200);
    expect(await page.locator("label[for=author]").textContent()).toBe("Author");
    expect(await page.locator("label[for=message]").textContent()).toBe("Message");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a tweet through the form (clicked twice) is stored once and shows; the counter counts", async () => {
    const { stream, serve } = await serveNew();
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    await page.fill("#author", "ann");
    await page.fill("#message", "Hello from the page");
    expect(await page.textContent("#counter")).toBe("19 / 280");
    await page.dblclick("#send");
    await page.locator("article", { hasText: "Hello from the page" }).waitFor();
    // the event pane shows it too: subject, sequence, JSON
    const event = page.locator(".event", { hasText: "Hello from the page" });
    await event.waitFor();
    expect(await event.locator(".event-subject").textContent()).toBe(`${stream}.tweet_created`);
    expect(await event.locator(".event-seq").textContent()).toBe("seq 1");

    const stored = await storedEvents(stream);
    expect(stored.filter((e) => e.message === "Hello from the page")).toHaveLength(1);
    expect(stored[0]!.author).toBe("ann");
    expect(await page.locator("article").count()).toBe(1);
    expect(await page.inputValue("#message")).toBe("");

    await page.fill("#message", "x".repeat(281));
    expect(await page.textContent("#counter")).toBe("281 / 280: 1 too many");
    await page.click("#send");
    expect(await page.textContent("#form-error")).toMatch(/281 characters; at most 280/);
    expect(await storedEvents(stream)).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a retry after a lost answer stores the tweet once (same Idempotency-Key)", async () => {
    const { stream, serve } = await serveNew();
    const { page } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    const keys: string[] = [];
    let lose = true;
    await page.route("**/tweets", async (route) => {
      keys.push((await route.request().headerValue("idempotency-key")) ?? "");
      if (!lose) return route.continue();
      lose = false;
      await route.fetch(); // the server stores it, then the answer is lost on the way back
      await route.abort("connectionreset");
    });
    await page.fill("#author", "ann");
    await page.fill("#message", "stored once despite the retry");
    await page.click("#send");
    await page.locator("#form-error", { hasText: "Cannot reach the server" }).waitFor();
    await page.click("#send");
    await page.locator("article", { hasText: "stored once despite the retry" }).waitFor();
    // (the first, stored, attempt can reach the timeline over /events before the retry is sent)
    await expect.poll(() => keys.length, { timeout: 10_000 }).toBe(2);
    await page.locator("#form-error").waitFor({ state: "hidden" });
    expect(keys[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(keys[1]).toBe(keys[0]);
    expect(await page.locator("#form-error").isHidden()).toBe(true);
    expect(await storedEvents(stream)).toHaveLength(1);
    expect(await page.locator("article").count()).toBe(1);
    await page.close();
  });

  it("shows API errors in words (413 from --max-body)", async () => {
    const { stream, serve } = await serveNew(["--max-body", "200"]);
    const { page } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    await page.fill("#author", "ann");
    await page.fill("#message", "y".repeat(250));
    await page.click("#send");
    await page.locator("#form-error", { hasText: "too large" }).waitFor();
    expect(await page.textContent("#form-error")).toMatch(
      /^The tweet is too large for this server/,
    );
    expect(await storedEvents(stream)).toHaveLength(0);
    await page.close();
  });

  it("a tweet from the CLI appears in an open page within 2 s", async () => {
    const { stream, serve } = await serveNew();
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    const r = await ts(["tweet", "--stream", stream, "--author", "cli", "from the command line"]);
    expect(r.code).toBe(0);
    const acked = Date.now();
    await page.locator("article", { hasText: "from the command line" }).waitFor({ timeout: 2000 });
    expect(Date.now() - acked).toBeLessThan(2000);
    expect(await page.locator("article .tweet-author").textContent()).toBe("cli");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a like through the button is stored and the count goes up, once", async () => {
    const { stream, serve } = await serveNew();
    const tweet = await postTweet(serve.url, "like me");
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    const article = page.locator("article", { hasText: "like me" });
    expect(await article.locator(".like-count").textContent()).toBe("0");
    await page.fill("#author", "bob");
    await article.locator("button.like").click();
    await article.locator(".like-count", { hasText: "1" }).waitFor();
    // the event arrives over /events too; the count must not go up again
    await page.locator(".event[data-type=tweet_liked]").waitFor();
    expect(await article.locator(".like-count").textContent()).toBe("1");
    const likes = (await storedEvents(stream)).filter((e) => e.subject.endsWith("tweet_liked"));
    expect(likes).toEqual([expect.objectContaining({ id: tweet.id, author: "bob" })]);
    // a like from elsewhere counts as well
    expect((await ts(["like", "--stream", stream, tweet.id])).code).toBe(0);
    await article.locator(".like-count", { hasText: "2" }).waitFor({ timeout: 2000 });
    await page.reload();
    await page
      .locator("article", { hasText: "like me" })
      .locator(".like-count", { hasText: "2" })
      .waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a like with the keyboard keeps the focus on its button: Enter twice likes twice", async () => {
    const { stream, serve } = await serveNew();
    await postTweet(serve.url, "like me by keyboard");
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    const article = page.locator("article", { hasText: "like me by keyboard" });
    // each like answers slowly, so the focus is looked at while the request runs
    await page.route("**/likes", async (route) => {
      await delay(300);
      await route.continue();
    });
    await article.locator("button.like").focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate("document.activeElement.className")).toBe("like");
    expect(await page.evaluate("document.activeElement.getAttribute('aria-disabled')")).toBe(
      "true",
    );
    await article.locator(".like-count", { hasText: "1" }).waitFor();
    expect(await page.evaluate("document.activeElement.className")).toBe("like");
    await page.keyboard.press("Enter");
    await article.locator(".like-count", { hasText: "2" }).waitFor();
    const likes = (await storedEvents(stream)).filter((e) => e.subject.endsWith("tweet_liked"));
    expect(likes).toHaveLength(2);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("an error says 'not stored' once and clears on the next success or when NATS is back", async () => {
    const { serve } = await serveNew();
    await postTweet(serve.url, "errors come and go");
    const { page } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    const article = page.locator("article", { hasText: "errors come and go" });
    const outage = { status: 503, body: { error: "not stored: not connected to NATS" } };
    const refuse = (route: { fulfill(r: object): Promise<void> }) =>
      route.fulfill({
        status: outage.status,
        headers: { "Retry-After": "1", "Content-Type": "application/json" },
        body: JSON.stringify(outage.body),
      });
    // a refused like, then one that is stored: the error goes away
    await page.route("**/likes", refuse);
    await article.locator("button.like").click();
    const error = page.locator("#timeline-error");
    await error.waitFor();
    const text = (await error.textContent())!;
    expect(text.match(/not stored/gi)).toHaveLength(1);
    expect(text).toMatch(/not connected to NATS/);
    await page.unroute("**/likes");
    await article.locator("button.like").click();
    await error.waitFor({ state: "hidden" });
    // a refused tweet while /healthz says NATS is down; NATS back: the error goes away
    await page.route("**/tweets", refuse);
    await page.route("**/healthz", (route) =>
      route.fulfill({
        status: 503,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ status: "unavailable", nats: "disconnected" }),
      }),
    );
    await page.fill("#author", "ann");
    await page.fill("#message", "refused");
    await page.click("#send");
    await page.locator("#form-error", { hasText: "Not stored" }).waitFor();
    await page.locator("#status[data-state=down]").waitFor({ timeout: 10_000 });
    await page.unroute("**/healthz");
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    await page.locator("#form-error").waitFor({ state: "hidden" });
    await page.close();
  });

  it("announces new tweets and likes politely; the counter is not a live region", async () => {
    const { stream, serve } = await serveNew();
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    expect(await page.getAttribute("#announcer", "aria-live")).toBe("polite");
    expect(await page.getAttribute("#counter", "aria-live")).toBeNull();
    expect(await page.locator("[aria-live]").count()).toBe(1);
    const r = await ts(["tweet", "--stream", stream, "--author", "cli", "heard, not only seen"]);
    expect(r.code).toBe(0);
    await page
      .locator("#announcer", { hasText: "New tweet by cli: heard, not only seen" })
      .waitFor({ timeout: 5000 });
    // typing changes no live region; going over the limit is said once
    await page.fill("#message", "x".repeat(100));
    expect(await page.textContent("#announcer")).toMatch(/New tweet by cli/);
    await page.fill("#message", "x".repeat(282));
    await page.locator("#announcer", { hasText: "2 characters too many" }).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it("renders a hostile tweet as text and runs nothing", async () => {
    const { serve } = await serveNew();
    const message = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
    const author = `<b onmouseover="window.__pwned=3">eve</b>`;
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    await postTweet(serve.url, message, author); // live, through /events
    await page.locator("article").waitFor();
    await page.reload(); // and from GET /tweets
    const article = page.locator("article");
    await article.waitFor();
    expect(await article.locator(".tweet-text").textContent()).toBe(message);
    expect(await article.locator(".tweet-author").textContent()).toBe(author);
    await page.locator(".event").waitFor();
    expect(await page.locator("main img, main script, main b").count()).toBe(0);
    expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("after serve restarts the page reconnects by itself and shows what was published meanwhile", async () => {
    const { stream, serve } = await serveNew();
    const first = await postTweet(serve.url, "before the restart");
    const { page } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    await page.locator("article", { hasText: "before the restart" }).waitFor();

    expect(await serve.stop("SIGTERM")).toBe(0);
    await page.locator("#status[data-state=reconnecting]").waitFor({ timeout: 5000 });
    for (const text of ["while serve was down 1", "while serve was down 2"]) {
      expect((await ts(["tweet", "--stream", stream, "--author", "cli", text])).code).toBe(0);
    }
    expect((await ts(["like", "--stream", stream, first.id])).code).toBe(0);

    const port = new URL(serve.url).port;
    await serves.serve(stream, ["--port", port]);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    await page.locator("article", { hasText: "while serve was down 2" }).waitFor();
    await page
      .locator("article", { hasText: "before the restart" })
      .locator(".like-count", { hasText: "1" })
      .waitFor();
    // no gaps, no duplicates: each tweet once, each event once, in the timeline's order
    expect(await page.locator("article .tweet-text").allTextContents()).toEqual([
      "while serve was down 2",
      "while serve was down 1",
      "before the restart",
    ]);
    expect(await page.locator(".event-seq").allTextContents()).toEqual([
      "seq 4",
      "seq 3",
      "seq 2",
      "seq 1",
    ]);
    await page.close();
  });

  it("shows NATS down while NATS is, and live again once it is back", async () => {
    const nats = await startServer();
    try {
      const natsEnv = { NATS_URL: nats.url };
      const stream = await cliAgainst(() => nats.url).newStream([], "WEB");
      const serve = await serves.serve(stream, [], natsEnv);
      const { page } = await browser!.open(`${serve.url}/`);
      await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
      await nats.kill();
      await page.locator("#status[data-state=down]").waitFor({ timeout: 10_000 });
      expect((await page.textContent("#status"))!.trim()).toBe("NATS down");
      await nats.restart();
      await page.locator("#status[data-state=live]").waitFor({ timeout: 15_000 });
      expect((await runCli(["tweet", "--stream", stream, "back"], { env: natsEnv })).code).toBe(0);
      await page.locator("article", { hasText: "back" }).waitFor({ timeout: 5000 });
      await page.close();
    } finally {
      await nats.stop();
    }
  });

  it("another origin's page can write through --cors (preflight included), not without it", async () => {
    // a page of another origin: a bare HTTP server on loopback (so no local-network prompt)
    const other = createServer((_req, res) => res.end("<!doctype html><title>other</title>"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const { stream, serve: open } = await serveNew(["--cors", origin]);
    const { serve: closed } = await serveNew();
    const { page } = await browser!.open(`${origin}/`);
    const tryPost = (url: string) =>
      page.evaluate(
        `fetch(${JSON.stringify(url + "/tweets")}, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Idempotency-Key": "cors-1" },
          body: JSON.stringify({ message: "from another origin", author: "ann" }),
        }).then((r) => r.status, (e) => e.name)`,
      );
    expect(await tryPost(open.url)).toBe(201);
    expect(await tryPost(closed.url)).toBe("TypeError");
    expect((await storedEvents(stream)).map((e) => e.message)).toEqual(["from another origin"]);
    await page.close();
    other.close();
  });

  it("fits a 360-px phone without sideways scrolling, is keyboard-usable (and makes the README's screenshots)", async () => {
    const { serve } = await serveNew();
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    const hello = await postTweet(
      serve.url,
      "Hello JetStream! Every tweet is an event in the stream.",
    );
    await postTweet(
      serve.url,
      "The timeline is a projection of the stream: replay the events and you get it back.",
      "bob",
    );
    for (const author of ["bob", "cy"]) {
      const r = await fetch(`${serve.url}/tweets/${hello.id}/likes`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ author }),
      });
      expect(r.status).toBe(202);
    }
    await page.locator(".event-seq", { hasText: "seq 4" }).waitFor();
    await page.fill("#author", "ann");
    await page.fill("#message", "Watching the events arrive live");
    await page.locator("#message").blur();
    // (page code as strings: the tests' TypeScript has no DOM types)
    const overflow = () =>
      page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath("serve-page.png"), animations: "disabled" });

    await page.setViewportSize({ width: 360, height: 800 });
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath("serve-page-phone.png"), animations: "disabled" });
    // unbroken long words do not widen the page either
    await postTweet(serve.url, "w".repeat(280), "a-very-long-author-name-without-any-spaces-in-it");
    await page.locator(".event-seq", { hasText: "seq 5" }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);

    // keyboard: Tab goes author → message → Tweet, and the focus is visible
    await page.focus("#author");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.id")).toBe("message");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.id")).toBe("send");
    const outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle");
    expect(outline).toBe("solid");
    expect(problems).toEqual([]);
    await page.close();
  });
});
