// Credential references as natscontext resolves them: env://, file://, data:;base64,,
// plain values (a path for creds/nkey, the value itself otherwise), op:// and nsc:// refused.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkSupported,
  embedValue,
  expandPath,
  resolveCredential,
  schemeOf,
} from "../../src/config/credentials.js";
import { redact } from "../../src/redact.js";

const dir = mkdtempSync(join(tmpdir(), "ts-cred-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("credential references", () => {
  it("reads a scheme as natscontext does (two letters at least)", () => {
    expect(schemeOf("env://X")).toBe("env");
    expect(schemeOf("data:;base64,eA==")).toBe("data");
    expect(schemeOf("FILE:///x")).toBe("file");
    expect(schemeOf("/home/u/x.creds")).toBe("");
    expect(schemeOf("C:\\x.creds")).toBe("");
  });

  it("expands ~, $VAR and ${VAR} in paths; unset is empty", () => {
    const env = { A: "/a", B_2: "b" };
    expect(expandPath("$A/${B_2}/$UNSET/x", env)).toBe("/a/b//x");
    expect(expandPath("~/x", env)).toMatch(/\/x$/);
    expect(expandPath("~/x", env)).not.toBe("~/x");
  });

  it("resolves env://, file://, data: and plain values", async () => {
    const file = join(dir, "pw");
    writeFileSync(file, "from-a-file\n");
    const env = { PW: "from-env-var" };
    expect(await resolveCredential("env://PW", "literal", "--password", env)).toBe("from-env-var");
    expect(await resolveCredential(`file://${file}`, "literal", "--password", env)).toBe(
      "from-a-file",
    );
    expect(await resolveCredential(file, "path", "--nkey", env)).toBe("from-a-file");
    const data = "data:;base64," + Buffer.from("embedded-secret\n").toString("base64");
    expect(await resolveCredential(data, "path", "--creds", env)).toBe("embedded-secret");
    expect(await resolveCredential("plain-value", "literal", "--token", env)).toBe("plain-value");
    // what was resolved is a secret from then on
    expect(redact("x from-env-var y embedded-secret")).toBe("x *** y ***");
  });

  it("refuses what it cannot resolve, naming where the value came from", async () => {
    const where = 'context "prod" field creds';
    await expect(resolveCredential("op://v/i/f", "path", where)).rejects.toThrow(
      'context "prod" field creds uses op:// (1Password)',
    );
    expect(() => checkSupported("nsc://O/A/U", "--creds")).toThrow("nsc:// (the nsc tool)");
    await expect(resolveCredential("env://NOPE_UNSET", "literal", "--seed", {})).rejects.toThrow(
      "--seed: environment variable NOPE_UNSET is not set or empty",
    );
    await expect(resolveCredential("data:,plain", "literal", "--jwt")).rejects.toThrow(
      "data:;base64,",
    );
    await expect(resolveCredential("http://x", "path", "--creds")).rejects.toThrow(
      "unsupported reference http:",
    );
    await expect(resolveCredential(join(dir, "none"), "path", "--creds")).rejects.toThrow(
      /cannot read the --creds file .*none \(ENOENT\)/,
    );
  });

  it("--embed turns files into data:;base64, and keeps other values", async () => {
    const file = join(dir, "seed");
    writeFileSync(file, "SUAXXX\n");
    const b64 = Buffer.from("SUAXXX\n").toString("base64");
    expect(await embedValue(file, "nkey", "x")).toBe(`data:;base64,${b64}`);
    expect(await embedValue(`file://${file}`, "user_seed", "x")).toBe(`data:;base64,${b64}`);
    expect(await embedValue("env://SEED", "user_seed", "x")).toBe("env://SEED");
    expect(await embedValue("eyJliteral", "user_jwt", "x")).toBe("eyJliteral");
  });
});
