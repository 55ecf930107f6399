// Debian's chromium driven by playwright-core through its executable path: nothing is
// downloaded. A fresh profile per launch; every console error, page error and failed
// request of a page is recorded, so a test can assert there were none.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** Locally the browser tests skip without chromium; under CI they fail instead. */
export const skipBrowserTests = !existsSync(CHROMIUM) && process.env.CI !== "true";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  /** a new tab whose problems are recorded */
  open(url: string, width?: number): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  page: Page;
  /** console errors, uncaught page errors, failed or ≥ 400 requests, in order */
  problems: string[];
}

/** `extraArgs`: more chromium switches (e.g. --host-resolver-rules for a rebinding test). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "tweetstream-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true, // playwright passes --headless
      args: [...ARGS, ...extraArgs],
      viewport: { width: 1280, height: 900 },
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    async open(url, width = 1280) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 900 });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("requestfailed", (r) => {
        const error = r.failure()?.errorText;
        // a reload or close aborts the open /events request: not a failure
        if (error !== "net::ERR_ABORTED") problems.push(`failed: ${r.url()} ${error}`);
      });
      page.on("response", (r) => {
        if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
      });
      await page.goto(url);
      return { page, problems };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
