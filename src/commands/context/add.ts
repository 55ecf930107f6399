// `context add <name>` and `context edit <name>`: write a natscli context from the
// connection flags given (--server, --user, --creds, --jwt, --js-domain …), as
// `nats context add` does; `edit` without flags opens $EDITOR, on a terminal only.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import {
  readRawContext,
  saveContext,
  selectContext,
  type RawContext,
} from "../../config/context-store.js";
import {
  checkContextName,
  contextExists,
  describeContext,
  loadContext,
  unknownContext,
} from "../../config/nats-context.js";
import { invocationOf, type Invocation } from "../../invocation.js";
import { DEFAULT_SERVER } from "../../nats/connection.js";
import { usageError } from "../../errors.js";
import { addLeafOptions, contextFieldsFromFlags } from "../../global-options.js";
import { renderContextInfo } from "../../output/contexts.js";
import { examples } from "../help.js";

interface WriteOptions {
  description?: string;
  select?: boolean;
  embed?: boolean;
}

/** Shows the context written, as `context info` does. */
export async function showWritten(inv: Invocation, name: string): Promise<void> {
  const view = describeContext(loadContext(name));
  if (inv.out.json) return inv.out.printJson(view);
  await inv.out.result(renderContextInfo(view, inv.out.color));
}

async function write(
  inv: Invocation,
  name: string,
  raw: RawContext,
  opts: WriteOptions,
): Promise<void> {
  const path = await saveContext(name, raw, opts.embed);
  inv.out.info(`Saved context "${name}" in ${path}`);
  if (opts.select) selectContext(name);
  await showWritten(inv, name);
}

/** The context's JSON edited by a person in $VISUAL / $EDITOR (only on a terminal). */
function editInEditor(name: string, raw: RawContext): RawContext {
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    throw usageError(
      `nothing to change in context "${name}": give connection flags (--server, --creds …) ` +
        `or --description, or run on a terminal to open $EDITOR`,
    );
  const dir = mkdtempSync(join(tmpdir(), "tweetstream-context-"));
  const file = join(dir, `${name}.json`);
  try {
    writeFileSync(file, JSON.stringify(raw, null, "  ") + "\n", { mode: 0o600 });
    const editor = process.env.VISUAL || process.env.EDITOR || "vi";
    // as git runs it: the editor may hold arguments ("code --wait"); the file is "$1"
    const r = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "editor", file], { stdio: "inherit" });
    if (r.status !== 0)
      throw usageError(`${editor} exited with ${r.status ?? r.signal}; nothing saved`);
    // a file tweetstream cannot read back is refused before it replaces the context
    loadContext(file);
    return JSON.parse(readFileSync(file, "utf8")) as RawContext;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const writeOptions = (cmd: Command) =>
  cmd
    .option("--description <text>", "a description shown by context ls")
    .option("--select", "select the context once saved")
    .option("--embed", "store the creds, nkey, JWT and seed files' contents in the context");

export const contextAddCommand = addLeafOptions(
  writeOptions(
    new Command("add")
      .aliases(["create", "save"])
      .description("create or update a context from the connection flags given")
      .argument("<name>", "context name"),
  )
    .addHelpText(
      "after",
      examples(
        "tweetstream context add local --server nats://127.0.0.1:4222 --select",
        "tweetstream context add prod -s nats://a:4222 --creds ~/prod.creds --embed",
      ),
    )
    .action(async (name: string, opts: WriteOptions, cmd: Command) => {
      const inv = invocationOf(cmd, { useContext: false });
      checkContextName(name);
      const raw = { ...readRawContext(name), ...contextFieldsFromFlags(inv.globals) };
      // a new context without --server gets the default URL, as natscontext gives it
      if (!raw.url) raw.url = DEFAULT_SERVER;
      if (opts.description !== undefined) raw.description = opts.description;
      await write(inv, name, raw, opts);
    }),
);

export const contextEditCommand = addLeafOptions(
  writeOptions(
    new Command("edit")
      .description("change a context: the flags given, or in $EDITOR on a terminal")
      .argument("<name>", "context name"),
  )
    .addHelpText(
      "after",
      examples(
        "tweetstream context edit prod --js-domain hub",
        "tweetstream context edit prod   # opens $EDITOR",
      ),
    )
    .action(async (name: string, opts: WriteOptions, cmd: Command) => {
      const inv = invocationOf(cmd, { useContext: false });
      checkContextName(name);
      if (!contextExists(name)) throw unknownContext(name);
      const changes = contextFieldsFromFlags(inv.globals);
      if (opts.description !== undefined) changes.description = opts.description;
      const before = readRawContext(name);
      const raw =
        Object.keys(changes).length > 0 || opts.embed || opts.select
          ? { ...before, ...changes }
          : editInEditor(name, before);
      await write(inv, name, raw, opts);
    }),
);
