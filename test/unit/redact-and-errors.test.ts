import { describe, expect, it } from "vitest";
import { redact, redactServers, registerSecret } from "../../src/redact.js";
import { toCliError, JsErr } from "../../src/nats/errors.js";
import { credentialsFromUrls, parseServers } from "../../src/nats/connection.js";
import { CliError } from "../../src/errors.js";

describe("redaction", () => {
  // [server list as given, as shown]: every form a server URL takes (issue 16)
  const SERVER_LISTS: Array<[string, string]> = [
    ["nats://bob:hunter2@host:4222", "nats://***@host:4222"],
    ["nats://host:4222", "nats://host:4222"],
    ["host:4222", "host:4222"],
    ["bob:hunter2@host:4222", "***@host:4222"],
    ["nats://u:p@ss@host:4222", "nats://***@host:4222"],
    ["u:p@ss@host:4222", "***@host:4222"],
    ["nats://u:p:a:ss@host", "nats://***@host"],
    ["nats://u:p ss@host:4222", "nats://***@host:4222"],
    ["nats://u:p%40s%20s@host:4222", "nats://***@host:4222"],
    ["nats://u:p/ss@host:4222", "nats://***@host:4222"],
    ["nats://s3cr3ttoken@host:4222", "nats://***@host:4222"],
    ["tls://tok@host, nats://a:b@c", "tls://***@host, nats://***@c"],
    ["nats://a:b@h1:1,c:d@h2:2,nats://h3:3", "nats://***@h1:1,***@h2:2,nats://h3:3"],
    ["nats://u:pw@[::1]:4222", "nats://***@[::1]:4222"],
    ["nats://[::1]:4222", "nats://[::1]:4222"],
    ["u:pw@[fe80::1%25eth0]:4222", "***@[fe80::1%25eth0]:4222"],
    ["ws://u:pw@host:8080/", "ws://***@host:8080/"],
    // a password holding a comma cuts the entry: the part without a host is not shown
    ["nats://u:p,ss@host:4222", "nats://***,***@host:4222"],
  ];
  it.each(SERVER_LISTS)("server list %s", (given, shown) => {
    expect(redactServers(given)).toBe(shown);
    // the same list inside free text (an error message) is shown the same way, except
    // where a space or comma in the password makes the text ambiguous: those passwords
    // come from --server or a context and are registered (next tests)
    if (!/p[ ,]ss/.test(given))
      expect(redact(`cannot connect to ${given}: refused`)).toBe(
        `cannot connect to ${shown}: refused`,
      );
  });
  it("an array of servers is shown as one list", () => {
    expect(redactServers(["nats://a:b@h:1", "h2:2"])).toBe("nats://***@h:1, h2:2");
  });
  it("leaves text without credentials alone", () => {
    for (const text of [
      "stream S not found (10059)",
      "mail bob@example.com about it",
      "nats://127.0.0.1:4222 and [::1]:4222",
      "subject tweets.*.created",
    ])
      expect(redact(text)).toBe(text);
  });
  it("removes registered secrets, nkey seeds and JWTs anywhere", () => {
    registerSecret("p4ssw0rd-xyz");
    expect(redact("bad password p4ssw0rd-xyz!")).toBe("bad password ***!");
    const seed = "SUAM" + "A".repeat(54);
    expect(redact(`seed ${seed}`)).toBe("seed ***");
    expect(redact("jwt eyJhbGciOiJlZDI1NTE5In0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")).toBe("jwt ***");
  });
  it("a password taken out of --server is removed from any text, spaces and all", () => {
    credentialsFromUrls(["nats://u:sp%20ace%20pw@h:1", "u:p ss@h:2"]);
    expect(redact("to nats://u:p ss@h:2")).toBe("to nats://***@h:2");
    expect(redact("the server said sp ace pw was wrong")).toBe("the server said *** was wrong");
    expect(redact("raw sp%20ace%20pw")).toBe("raw ***");
  });
});

describe("server URLs", () => {
  it("splits comma-separated lists and defaults", () => {
    expect(parseServers("nats://a:1, nats://b:2")).toEqual(["nats://a:1", "nats://b:2"]);
    expect(parseServers(undefined)).toEqual(["nats://127.0.0.1:4222"]);
  });
  it("takes credentials out of URLs", () => {
    expect(credentialsFromUrls(["nats://u:p%40ss@h:1", "nats://h2:2"])).toEqual({
      servers: ["nats://h:1", "nats://h2:2"],
      user: "u",
      password: "p@ss",
    });
    expect(credentialsFromUrls(["u:p@ss@h:1"])).toEqual({
      servers: ["h:1"],
      user: "u",
      password: "p@ss",
    });
    expect(credentialsFromUrls(["nats://s3cr3ttoken@h:1"])).toEqual({
      servers: ["nats://h:1"],
      token: "s3cr3ttoken",
    });
    expect(redact("token s3cr3ttoken")).toBe("token ***");
  });
});

describe("toCliError", () => {
  const api = (err_code: number, code = 400, description = "x") =>
    Object.assign(new Error(description), {
      code: String(code),
      api_error: { code, err_code, description },
    });
  const exit = (err: unknown, ctx = {}) => toCliError(err, ctx).exitCode;

  it("maps JetStream err_codes", () => {
    expect(exit(api(JsErr.StreamNotFound, 404), { stream: "S" })).toBe(4);
    expect(toCliError(api(JsErr.StreamNotFound, 404), { stream: "S" }).message).toBe(
      "stream S not found (10059)",
    );
    expect(toCliError(api(JsErr.ConsumerNotFound, 404, "consumer not found")).message).toBe(
      "consumer not found (10014)",
    );
    expect(toCliError(api(JsErr.StreamInvalidConfig, 400, "bad")).message).toBe(
      "the server rejected the request: bad (10052)",
    );
    expect(exit(api(JsErr.ConsumerNotFound, 404))).toBe(4);
    expect(exit(api(JsErr.StreamNameInUse))).toBe(5);
    expect(exit(api(JsErr.StreamSubjectOverlap))).toBe(5);
    expect(exit(api(JsErr.ConsumerExists))).toBe(5);
  });
  it("maps client codes by phase", () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    expect(exit(e("CONNECTION_REFUSED"), { phase: "connect" })).toBe(3);
    expect(exit(e("AUTHORIZATION_VIOLATION"))).toBe(3);
    expect(exit(e("TIMEOUT"), { phase: "connect" })).toBe(3);
    expect(exit(e("TIMEOUT"), { phase: "request" })).toBe(6);
    expect(exit(e("503"), { phase: "jetstream" })).toBe(3);
    expect(toCliError(e("503"), { phase: "jetstream" }).message).toMatch(
      /JetStream is not enabled/,
    );
  });
  it("keeps secrets out of messages and passes CliErrors through", () => {
    const err = Object.assign(new Error("x"), { code: "CONNECTION_REFUSED" });
    expect(toCliError(err, { servers: ["nats://u:pw@h:1"] }).message).toBe(
      "cannot connect to nats://***@h:1: connection refused",
    );
    const mine = new CliError("mine", 5);
    expect(toCliError(mine)).toBe(mine);
    expect(exit(new Error("boom"))).toBe(1);
  });
});
