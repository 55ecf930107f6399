import { describe, expect, it } from "vitest";
import { matchRoute } from "../../src/serve/routes.js";

describe("matchRoute", () => {
  it("finds each route and its parameters", () => {
    expect(matchRoute("GET", "/tweets")).toEqual({ ok: true, route: "listTweets", params: [] });
    expect(matchRoute("POST", "/tweets")).toEqual({ ok: true, route: "createTweet", params: [] });
    expect(matchRoute("GET", "/tweets/abc")).toEqual({
      ok: true,
      route: "getTweet",
      params: ["abc"],
    });
    expect(matchRoute("POST", "/tweets/a%20b/likes")).toEqual({
      ok: true,
      route: "likeTweet",
      params: ["a b"],
    });
    expect(matchRoute("GET", "/events")).toMatchObject({ ok: true, route: "events" });
    expect(matchRoute("GET", "/healthz")).toMatchObject({ ok: true, route: "healthz" });
  });

  it("treats HEAD as GET and forgives one trailing slash", () => {
    expect(matchRoute("HEAD", "/healthz")).toMatchObject({ ok: true, route: "healthz" });
    expect(matchRoute("GET", "/tweets/")).toMatchObject({ ok: true, route: "listTweets" });
    expect(matchRoute("GET", "/tweets//")).toEqual({ ok: false, status: 404 });
  });

  it("404 for unknown paths, 405 with the allowed methods for known ones", () => {
    expect(matchRoute("GET", "/")).toEqual({ ok: false, status: 404 });
    expect(matchRoute("GET", "/tweets/a/b")).toEqual({ ok: false, status: 404 });
    expect(matchRoute("GET", "/tweets/%E0%A4%A/likes")).toEqual({ ok: false, status: 404 });
    expect(matchRoute("DELETE", "/tweets")).toEqual({
      ok: false,
      status: 405,
      allow: ["GET", "POST", "HEAD"],
    });
    expect(matchRoute("GET", "/tweets/x/likes")).toEqual({
      ok: false,
      status: 405,
      allow: ["POST"],
    });
    expect(matchRoute("POST", "/healthz")).toEqual({
      ok: false,
      status: 405,
      allow: ["GET", "HEAD"],
    });
  });
});
