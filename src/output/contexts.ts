// Human renderings of natscli contexts: the `context ls` table and the `context info`
// report. Secrets are already replaced (describeContext).

import type { ChalkInstance } from "chalk";
import type { ContextView } from "../config/nats-context.js";
import { renderTable, type Column } from "./table.js";

/** context ls, fitted to a terminal `width` wide (output/table.ts). */
const LS_COLUMNS: Column[] = [
  { header: "Name", minWidth: 12 },
  { header: "Description", minWidth: 11, dropRank: 1 },
  { header: "Server", minWidth: 20 },
];

export async function renderContextTable(
  contexts: ContextView[],
  color: ChalkInstance,
  width?: number,
): Promise<string> {
  if (contexts.length === 0) return "No contexts defined (create one with: nats context add)";
  const rows = contexts.map((c) => [
    c.selected ? `${c.name}*` : c.name,
    c.error ? `(unusable: ${c.error})` : (c.description ?? ""),
    c.url ?? "",
  ]);
  return `${color.bold("Known contexts")}\n${await renderTable(LS_COLUMNS, rows, color, width)}`;
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
