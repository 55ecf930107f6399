import { describe, expect, it } from "vitest";
import { accessText, createServeLog, jsonLine } from "../../src/serve/log.js";
import { registerSecret } from "../../src/redact.js";

const at = new Date("2026-01-02T03:04:05.678Z");

function capture(format: "text" | "json", quiet = false) {
  const lines: string[] = [];
  const warned: string[] = [];
  const log = createServeLog(
    format,
    { quiet, warn: (t) => warned.push(t) },
    (line) => lines.push(line),
    () => at,
  );
  return { log, lines, warned };
}

describe("serve log", () => {
  it("text: the access line as before, untrusted text escaped", () => {
    expect(accessText({ method: "GET", path: "/tweets?limit=1", status: 200, ms: 1.234 }, at)).toBe(
      "2026-01-02T03:04:05.678Z GET /tweets?limit=1 200 1.2ms",
    );
    expect(accessText({ method: "GET", path: "/\u001b[2J", status: 404, ms: 0 }, at)).toContain(
      "/\\u001b[2J",
    );
  });

  it("json: one object a line with time, level, method, path, status, ms", () => {
    const { log, lines } = capture("json");
    log.access({ method: "POST", path: "/tweets", status: 201, ms: 12.345 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(lines[0]!.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(lines[0]!)).toEqual({
      time: "2026-01-02T03:04:05.678Z",
      level: "info",
      msg: "request",
      method: "POST",
      path: "/tweets",
      status: 201,
      ms: 12.3,
    });
  });

  it("json: terminal controls are \\u escapes and decode back exactly", () => {
    const path = "/x\u001b]0;t\u0007\u009b\u202e\u2028y";
    const line = jsonLine({ path });
    expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(line).path).toBe(path);
  });

  it("json: warnings carry a message and context, secrets removed, dropped under --quiet", () => {
    registerSecret("s3cret-token-value");
    const { log, lines } = capture("json");
    log.warn("lost nats://bob:pw@10.0.0.1:4222 with s3cret-token-value", {
      method: "GET",
      path: "/?t=s3cret-token-value",
      status: 500,
    });
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({ level: "warn", time: "2026-01-02T03:04:05.678Z" });
    expect(o.message).not.toContain("pw@");
    expect(o.message).not.toContain("s3cret");
    expect(o.context).toEqual({ method: "GET", path: "/?t=***", status: 500 });
    log.access({ method: "GET", path: "/?t=s3cret-token-value", status: 200, ms: 1 });
    expect(JSON.parse(lines[1]!).path).toBe("/?t=***");
    expect(
      accessText({ method: "GET", path: "/s3cret-token-value", status: 200, ms: 1 }, at),
    ).toContain("GET /*** 200");
    const quiet = capture("json", true);
    quiet.log.warn("x");
    expect(quiet.lines).toEqual([]);
  });

  it("text: warnings go to the output's warn", () => {
    const { log, lines, warned } = capture("text");
    log.warn("careful", { a: 1 });
    expect(warned).toEqual(["careful"]);
    expect(lines).toEqual([]);
  });
});
