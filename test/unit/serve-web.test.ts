import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCorsOrigins } from "../../src/serve/cors.js";
import { findPublicDir, loadStaticFiles } from "../../src/serve/static-files.js";

describe("parseCorsOrigins", () => {
  it("accepts origins and *, normalised", () => {
    expect(parseCorsOrigins("*")).toBe("*");
    expect(parseCorsOrigins("http://a.test, https://b.test:8443/")).toEqual(
      new Set(["http://a.test", "https://b.test:8443"]),
    );
    expect(parseCorsOrigins("http://LocalHost:5173")).toEqual(new Set(["http://localhost:5173"]));
  });

  it("refuses what is not an origin, with exit 2", () => {
    for (const bad of ["", " , ", "localhost:5173", "http://a.test/app", "ftp://a.test", "a b"]) {
      expect(() => parseCorsOrigins(bad), bad).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
  });
});

describe("the page's files", () => {
  const root = mkdtempSync(join(tmpdir(), "tweetstream-web-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("are found beside the package.json above the module, bundled or not", () => {
    mkdirSync(join(root, "public"));
    mkdirSync(join(root, "dist", "chunks"), { recursive: true });
    writeFileSync(join(root, "package.json"), "{}");
    writeFileSync(join(root, "public", "index.html"), "<!doctype html>");
    expect(findPublicDir(join(root, "dist", "serve.js"))).toBe(join(root, "public"));
    expect(findPublicDir(join(root, "dist", "chunks", "x.js"))).toBe(join(root, "public"));
  });

  it("the shipped ones: index at /, each with its type", () => {
    const files = loadStaticFiles(findPublicDir()!);
    expect(files.get("/")).toBe(files.get("/index.html"));
    expect(files.get("/app.js")?.type).toBe("text/javascript; charset=utf-8");
    expect(files.get("/app.css")?.type).toBe("text/css; charset=utf-8");
    expect(files.get("/favicon.svg")?.type).toBe("image/svg+xml");
  });
});
