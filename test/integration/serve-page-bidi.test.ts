// The page isolates what users wrote (chromium): an author "\u202Eevil\u202C" (a
// RIGHT-TO-LEFT OVERRIDE) must not display as "live"; every user string is bidi-isolated
// (<bdi> or dir=auto with unicode-bidi: isolate) and its invisible format characters are
// shown as visible \uXXXX marks, in the timeline and in the event pane, whether the
// tweet arrived live (/events) or with the timeline (GET /tweets).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, skipBrowserTests, type Browser } from "../helpers/browser.js";
import { runCli, uniqueStream } from "../helpers/cli.js";
import { startServer, type TestServer } from "../helpers/nats-server.js";
import { startServe, type ServeProcess } from "../helpers/serve.js";
import type { Locator, Page } from "playwright-core";

let server: TestServer;
let serve: ServeProcess;
let browser: Browser | undefined;

const AUTHOR = "\u202Eevil\u202C";
const MESSAGE = "pay \u2067X\u2069 now\u200Bplease\ufeff";

// run in the page (the tests are type-checked without the DOM's types, hence `any`)
function drawnOrderInPage(root: any, [w, ca, cb]: string[]) {
  const doc = (globalThis as any).document;
  const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const at = (n.textContent as string).indexOf(w!);
    if (at < 0) continue;
    const x = (i: number): number => {
      const range = doc.createRange();
      range.setStart(n, i);
      range.setEnd(n, i + 1);
      return range.getBoundingClientRect().left;
    };
    return { a: x(at + w!.indexOf(ca!)), b: x(at + w!.indexOf(cb!)) };
  }
  return null;
}

function bidiStyleInPage(el: any) {
  return {
    dir: el.getAttribute("dir") as string | null,
    bidi: (globalThis as any).getComputedStyle(el).unicodeBidi as string,
  };
}

/** Where the first `a` and the first `b` of the text node holding `word` are drawn (x). */
async function drawnOrder(scope: Locator, word: string, a: string, b: string) {
  return scope.evaluate(drawnOrderInPage, [word, a, b]);
}

async function expectIsolatedAndVisible(page: Page) {
  const article = page.locator("article").first();
  const author = article.locator(".tweet-author");
  const text = article.locator(".tweet-text");
  // shown as marks, in logical order, the characters themselves gone
  expect(await author.textContent()).toBe("\\u202eevil\\u202c");
  expect(await text.textContent()).toBe("pay \\u2067X\\u2069 now\\u200bplease\\ufeff");
  expect(await article.locator(".invisible").count()).toBe(6);
  // "evil" is drawn left to right: e before l
  const order = await drawnOrder(author, "evil", "e", "l");
  expect(order).not.toBeNull();
  expect(order!.a).toBeLessThan(order!.b);
  // isolated: <bdi> / dir=auto, unicode-bidi: isolate
  for (const node of [author, text]) {
    const style = await node.evaluate(bidiStyleInPage);
    expect(style).toEqual({ dir: "auto", bidi: "isolate" });
  }
  expect(await author.evaluate((el) => (el as { tagName: string }).tagName)).toBe("BDI");
  // the event pane: each string of the payload isolated, nothing invisible left
  const pre = page.locator(".event[data-type=tweet_created] pre").first();
  await pre.waitFor();
  const shown = (await pre.textContent()) ?? "";
  expect(shown).toContain('"author": "\\u202eevil\\u202c"');
  expect(shown).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b\ufeff]/);
  expect(await pre.locator("bdi[dir=auto]").count()).toBeGreaterThanOrEqual(5);
  const inPane = await drawnOrder(pre, "evil", "e", "l");
  expect(inPane!.a).toBeLessThan(inPane!.b);
}

beforeAll(async () => {
  server = await startServer();
  const stream = uniqueStream("BIDI");
  expect((await runCli(["stream", "add", stream], { env: { NATS_URL: server.url } })).code).toBe(0);
  serve = await startServe(["--stream", stream], { NATS_URL: server.url });
  if (!skipBrowserTests) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await serve?.stop("SIGKILL");
  await server?.stop();
});

describe.skipIf(skipBrowserTests)("the page isolates what users wrote", () => {
  it("an overriding author shows as \\u202eevil\\u202c, drawn left to right, live and after a reload", async () => {
    const { page, problems } = await browser!.open(`${serve.url}/`);
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
    const res = await fetch(`${serve.url}/tweets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: MESSAGE, author: AUTHOR }),
    });
    expect(res.status).toBe(201);
    await page.locator("article").waitFor(); // live, through /events
    await expectIsolatedAndVisible(page);
    await page.reload(); // from GET /tweets
    await page.locator("article").waitFor();
    await expectIsolatedAndVisible(page);
    expect(problems).toEqual([]);
    await page.close();
  });
});
