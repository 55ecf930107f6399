// Human renderings of natscli contexts: the `context ls` table and the `context info`
// report. Secrets are already replaced (describeContext).

import type { ChalkInstance } from "chalk";
import type { ContextView } from "../config/nats-context.js";

export async function renderContextTable(
  contexts: ContextView[],
  color: ChalkInstance,
): Promise<string> {
  if (contexts.length === 0) return "No contexts defined (create one with: nats context add)";
  const { default: Table } = await import("cli-table3");
  const table = new Table({
    head: ["Name", "Description", "Server"].map((h) => color.bold(h)),
    style: { head: [], border: [] },
  });
  for (const c of contexts) {
    table.push([
      c.selected ? `${c.name}*` : c.name,
      c.error ? `(unusable: ${c.error})` : (c.description ?? ""),
      c.url ?? "",
    ]);
  }
  return `${color.bold("Known contexts")}\n${table.toString()}`;
}

export function renderContextInfo(c: ContextView, color: ChalkInstance): string {
  const pairs: [string, string | undefined][] = [
    ["Description", c.description],
    ["Server URLs", c.url],
    ["Username", c.user],
    ["Password", c.password],
    ["Token", c.token],
    ["Credentials", c.creds],
    ["NKey", c.nkey],
    ["Certificate", c.cert],
    ["Key", c.key],
    ["CA", c.ca],
    ["TLS First", c.tls_first ? "true" : undefined],
    ["JetStream Domain", c.jetstream_domain],
    ["Inbox Prefix", c.inbox_prefix],
    ["Path", c.path],
  ];
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== "");
  const width = Math.max(...shown.map(([k]) => k.length));
  return [
    color.bold(`NATS configuration context "${c.name}"${c.selected ? " (selected)" : ""}`),
    "",
    ...shown.map(([k, v]) => `  ${k.padStart(width)}: ${v}`),
  ].join("\n");
}
