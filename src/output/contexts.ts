// Human renderings of natscli contexts: the `context ls` table and the `context info`
// report. Secrets are already replaced (describeContext).

import type { ChalkInstance } from "chalk";
import type { ContextDescription } from "../config/nats-context.js";
import { renderTable, type Column } from "./table.js";

/** context ls, fitted to a terminal `width` wide (output/table.ts). */
const LS_COLUMNS: Column[] = [
  { header: "Name", minWidth: 12 },
  { header: "Description", minWidth: 11, dropRank: 1 },
  { header: "Server", minWidth: 20 },
];

export async function renderContextTable(
  contexts: ContextDescription[],
  color: ChalkInstance,
  width?: number,
): Promise<string> {
  if (contexts.length === 0)
    return "No contexts defined (create one with: tweetstream context add NAME)";
  const rows = contexts.map((c) => [
    c.selected ? `${c.name}*` : c.name,
    c.error
      ? `(unusable: ${c.error})`
      : [c.description, c.missing_files && `(missing files: ${c.missing_files.join(", ")})`]
          .filter(Boolean)
          .join(" "),
    c.url ?? "",
  ]);
  return `${color.bold("Known contexts")}\n${await renderTable(LS_COLUMNS, rows, color, width)}`;
}

export function renderContextInfo(c: ContextDescription, color: ChalkInstance): string {
  // a field naming a file that does not exist is marked, as natscli marks it ERROR
  const file = (field: keyof ContextDescription, value: string | undefined) =>
    value && c.missing_files?.includes(field) ? `${value} ${color.red("(missing)")}` : value;
  const pairs: [string, string | undefined][] = [
    ["Description", c.description],
    ["Server URLs", c.url],
    ["Username", c.user],
    ["Password", file("password", c.password)],
    ["Token", file("token", c.token)],
    ["Credentials", file("creds", c.creds)],
    ["NSC Lookup", c.nsc],
    ["NKey", file("nkey", c.nkey)],
    ["User JWT", file("user_jwt", c.user_jwt)],
    ["User Seed", file("user_seed", c.user_seed)],
    ["Certificate", file("cert", c.cert)],
    ["Key", file("key", c.key)],
    ["CA", file("ca", c.ca)],
    ["TLS First", c.tls_first ? "true" : undefined],
    ["JetStream Domain", c.jetstream_domain],
    ["JS API Prefix", c.jetstream_api_prefix],
    ["JS Event Prefix", c.jetstream_event_prefix],
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
