// The request guard alone, with in-memory requests: Host names (IPv6, ports, case),
// --allowed-hosts parsing, loopback detection, Origin and token order.
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import {
  createRequestGuard,
  isLoopbackHost,
  parseAllowedHosts,
  type GuardOptions,
} from "../../src/serve/guard.js";

function check(opts: GuardOptions, method: string, headers: Record<string, string>) {
  const guard = createRequestGuard(opts);
  guard.listening(opts.host, 8080);
  let status = 0;
  const res = {
    writeHead: (s: number) => (status = s),
    end: () => undefined,
  } as unknown as ServerResponse;
  const refused = guard.check({ method, headers } as unknown as IncomingMessage, res);
  return refused ? status : 0;
}

describe("request guard", () => {
  const local = { host: "127.0.0.1" };
  it.each([
    ["127.0.0.1:8080", 0],
    ["localhost:8080", 0],
    ["[::1]:8080", 0],
    ["[::1]", 421],
    ["127.0.0.1", 421],
    ["127.0.0.1:8081", 421],
    ["evil.test:8080", 421],
    ["127.0.0.1:8080:1", 421],
    ["", 421],
  ])("Host %j → %i", (host, status) => {
    expect(check(local, "GET", { host })).toBe(status);
  });

  it("a name --host gives and the bound IPv6 address are serve's names", () => {
    expect(check({ host: "box.lan" }, "GET", { host: "box.lan:8080" })).toBe(0);
    expect(check({ host: "fe80::1" }, "GET", { host: "[fe80::1]:8080" })).toBe(0);
  });

  it("checks Host, then Origin, then the token; reads need no token", () => {
    const opts = { host: "127.0.0.1", token: "t" };
    const h = { host: "127.0.0.1:8080" };
    expect(check(opts, "GET", h)).toBe(0);
    expect(check(opts, "POST", { ...h, origin: "http://evil.test" })).toBe(403);
    expect(check(opts, "POST", { ...h, origin: "http://127.0.0.1:8080" })).toBe(401);
    expect(check(opts, "POST", { ...h, authorization: "Bearer t" })).toBe(0);
    expect(check(opts, "POST", { host: "evil.test:8080", authorization: "Bearer t" })).toBe(421);
    expect(check(opts, "DELETE", h)).toBe(401);
  });

  it("--cors origins may write; https of serve's own host too (behind a TLS proxy)", () => {
    const opts = { host: "127.0.0.1", cors: new Set(["http://app.test"]) };
    const h = { host: "127.0.0.1:8080" };
    expect(check(opts, "POST", { ...h, origin: "http://app.test" })).toBe(0);
    expect(check(opts, "POST", { ...h, origin: "https://127.0.0.1:8080" })).toBe(0);
    expect(check(opts, "POST", { ...h, origin: "http://app.test:1" })).toBe(403);
  });
});

describe("parseAllowedHosts and isLoopbackHost", () => {
  it("parses names, name:port, IPv6 and *", () => {
    expect(parseAllowedHosts("A.example, b.example:9,[::1]:80")).toEqual([
      "a.example",
      "b.example:9",
      "[::1]:80",
    ]);
    expect(parseAllowedHosts("x,*")).toBe("*");
    expect(() => parseAllowedHosts("http://x")).toThrow(/not a host name/);
    expect(() => parseAllowedHosts(" , ")).toThrow(/needs a host name/);
  });

  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.5", false],
  ])("%s loopback: %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
