// Credential values as natscli contexts hold them (jsm.go natscontext's resolvers), for
// creds, nkey, password, token, user_jwt and user_seed, whether from a context or a flag:
//   env://NAME               the value of the environment variable NAME
//   file://PATH              the content of a file
//   data:;base64,PAYLOAD     inline content (what `nats context add --embed` writes)
//   anything else            creds/nkey: a file path; the others: the value itself
// op:// (1Password) and nsc:// (the nsc tool) run other programs: refused (exit 2).

import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { usageError } from "../errors.js";
import { registerSecret } from "../redact.js";

/** The fields whose value may be a reference, with what a plain value means. */
export const CREDENTIAL_FIELDS = {
  creds: "path",
  nkey: "path",
  password: "literal",
  token: "literal",
  user_jwt: "literal",
  user_seed: "literal",
} as const;
export type CredentialField = keyof typeof CREDENTIAL_FIELDS;

/** The connection options whose value may be such a reference, with their flag. */
export const CREDENTIAL_FLAGS = {
  password: "--password",
  token: "--token",
  creds: "--creds",
  nkey: "--nkey",
  jwt: "--jwt",
  seed: "--seed",
} as const;
export type CredentialKey = keyof typeof CREDENTIAL_FLAGS;

const UNSUPPORTED: Record<string, string> = {
  op: "op:// (1Password)",
  nsc: "nsc:// (the nsc tool)",
};

/** natscontext's rule: a URI scheme of at least two characters (`C:\x` is a path). */
export function schemeOf(value: string): string {
  const m = /^([a-z][a-z0-9+.-]+):/i.exec(value);
  return m ? m[1]!.toLowerCase() : "";
}

/** A reference tweetstream cannot follow, as an exit-2 message naming where it was read. */
export function checkSupported(value: string | undefined, where: string): void {
  if (!value) return;
  const what = UNSUPPORTED[schemeOf(value)];
  if (what) {
    throw usageError(
      `${where} uses ${what}, which tweetstream does not support; ` +
        `use a file path, file://, env:// or data:;base64, (nats context add --embed)`,
    );
  }
}

/** `~` and `$VAR` / `${VAR}` in a path, as natscontext expands them (unset → empty). */
export function expandPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const expanded = path.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, braced?: string, bare?: string) => env[(braced ?? bare)!] ?? "",
  );
  return expanded === "~" || expanded.startsWith("~/")
    ? join(homedir(), expanded.slice(1))
    : expanded;
}

/** The file a creds/nkey (or file://) reference names, or undefined for other references. */
export function credentialFile(value: string, kind: "path" | "literal"): string | undefined {
  const scheme = schemeOf(value);
  if (scheme === "file") return expandPath(value.replace(/^file:\/\//i, ""));
  return scheme === "" && kind === "path" ? value : undefined;
}

function decodeData(value: string, where: string): string {
  const rest = value.slice("data:".length);
  const comma = rest.indexOf(",");
  if (
    comma < 0 ||
    !rest
      .slice(0, comma)
      .split(";")
      .some((p) => p.trim() === "base64")
  )
    throw usageError(`${where}: a data: value must be data:;base64,<payload>`);
  return Buffer.from(rest.slice(comma + 1), "base64").toString("utf8");
}

/**
 * The content a credential value stands for (trailing newlines removed, registered as a
 * secret). `where` names its origin for errors: `context "prod" field creds` or `--creds`.
 */
export async function resolveCredential(
  value: string,
  kind: "path" | "literal",
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  checkSupported(value, where);
  const scheme = schemeOf(value);
  let content: string;
  const file = credentialFile(value, kind);
  if (file !== undefined) {
    try {
      content = await readFile(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw usageError(`cannot read the ${where} file ${file} (${code})`);
    }
  } else if (scheme === "env") {
    const name = value.replace(/^env:\/\//i, "");
    content = env[name] ?? "";
    if (!name || content === "")
      throw usageError(`${where}: environment variable ${name || "(none)"} is not set or empty`);
  } else if (scheme === "data") {
    content = decodeData(value, where);
  } else if (kind === "path") {
    throw usageError(`${where}: unsupported reference ${scheme}:`);
  } else {
    content = value;
  }
  content = content.replace(/[\r\n]+$/, "");
  registerSecret(content.trim());
  return content;
}

/**
 * What `nats context add --embed` stores for a value naming a file (a creds/nkey path or
 * file://): its content as data:;base64,…; other values are kept as they are.
 */
export async function embedValue(
  value: string,
  field: CredentialField,
  where: string,
): Promise<string> {
  const file = credentialFile(value, CREDENTIAL_FIELDS[field]);
  if (file === undefined) return value;
  try {
    return "data:;base64," + (await readFile(file)).toString("base64");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw usageError(`cannot read the ${where} file ${file} (${code})`);
  }
}
