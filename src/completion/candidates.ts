// Shell completion, shell-independent: given the words typed after `tweetstream` (the
// last one being completed), walks the commander tree — the one source of truth for
// commands, subcommands and options — and returns the candidates. Stream, consumer and
// context names come from the server and the natscli config; a server that does not
// answer within a short timeout yields nothing, silently. Those names are data: they are
// filtered here by prefix (never by a shell's `compgen -W`, which expands `$(…)`), and
// the word being typed is unquoted here, without any expansion, to be compared with them.

import { Command, Help, type Option } from "commander";
import { listContextNames } from "../config/nats-context.js";
import { addProgramOptions, connectSettings, readGlobals } from "../global-options.js";

/** First line of the output when the shell should complete file names instead. */
export const FILES = ":files";

/** How long the server may take to answer a completion lookup. */
const LOOKUP_TIMEOUT_MS = 1000;

/** What a value is: names the server or the config knows, files, or fixed choices. */
type ValueKind =
  | { kind: "streams" }
  | { kind: "consumers"; stream?: string }
  | { kind: "contexts" }
  | { kind: "files" }
  | { kind: "choices"; choices: string[] }
  | { kind: "none" };

interface Position {
  cmd: Command;
  /** operands typed for cmd so far */
  operands: string[];
  /** the option whose value is being typed, if any */
  pendingOption?: Option;
  /** option values typed so far, by attribute name */
  values: Map<string, string>;
}

function findOption(cmd: Command, word: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const opt = c.options.find((o) => o.long === word || o.short === word);
    if (opt) return opt;
  }
  return undefined;
}

function findSubcommand(cmd: Command, word: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
}

/** Where the words before the current one leave us in the tree. */
function walk(program: Command, words: string[]): Position {
  const pos: Position = { cmd: program, operands: [], values: new Map() };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith("-") && w.length > 1) {
      const [flag, inline] = w.split("=", 2) as [string, string | undefined];
      const opt = findOption(pos.cmd, flag);
      if (!opt || inline !== undefined) {
        if (opt && inline !== undefined) pos.values.set(opt.attributeName(), inline);
        continue;
      }
      const next = words[i + 1];
      // an optional value ([name]) is taken unless an option follows
      const takesNext = opt.required || (opt.optional && !next?.startsWith("-"));
      if (!takesNext) continue;
      if (next === undefined) pos.pendingOption = opt;
      else pos.values.set(opt.attributeName(), next);
      i++;
      continue;
    }
    const sub = pos.operands.length === 0 ? findSubcommand(pos.cmd, w) : undefined;
    if (sub) pos.cmd = sub;
    else pos.operands.push(w);
  }
  return pos;
}

function optionValueKind(opt: Option, pos: Position): ValueKind {
  if (opt.argChoices) return { kind: "choices", choices: opt.argChoices };
  const name = opt.attributeName();
  if (name === "stream") return { kind: "streams" };
  if (name === "context") return { kind: "contexts" };
  if (name === "durable") return { kind: "consumers", stream: pos.values.get("stream") };
  if (/<(file|path)>/.test(opt.flags)) return { kind: "files" };
  return { kind: "none" };
}

function argumentValueKind(pos: Position): ValueKind {
  const arg = pos.cmd.registeredArguments[pos.operands.length];
  if (!arg) return { kind: "none" };
  if (arg.argChoices) return { kind: "choices", choices: arg.argChoices };
  const group = pos.cmd.parent?.name();
  const name = arg.name();
  if (name === "stream") return { kind: "streams" };
  if (group === "stream" && name === "name" && pos.cmd.name() !== "add") return { kind: "streams" };
  if (group === "consumer" && name === "name") {
    return { kind: "consumers", stream: pos.operands[0] ?? pos.values.get("stream") };
  }
  if (group === "context" && name === "name") return { kind: "contexts" };
  return { kind: "none" };
}

function optionNames(cmd: Command): string[] {
  const names = new Set<string>();
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.options) {
      if (o.long && !(c !== cmd && o.long === "--version")) names.add(o.long);
    }
  }
  names.add("--help");
  return [...names];
}

/** The global options typed so far, applied as a run would apply them (env, context). */
function globalsFrom(words: string[]): ReturnType<typeof readGlobals> {
  const probe = addProgramOptions(new Command("tweetstream"))
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .action(() => {});
  probe.parse(words, { from: "user" });
  return readGlobals(probe);
}

async function serverNames(kind: "streams" | "consumers", words: string[], stream?: string) {
  const [{ getConnection }, { isSystemStream }] = await Promise.all([
    import("../nats/connection.js"),
    import("../nats/streams.js"),
  ]);
  const globals = globalsFrom(words);
  const settings = connectSettings(globals);
  settings.timeoutMs = Math.min(settings.timeoutMs, LOOKUP_TIMEOUT_MS);
  const lookup = (async () => {
    const jsm = await (await getConnection(settings)).jsm();
    const names: string[] = [];
    if (kind === "streams") {
      for await (const name of jsm.streams.names()) if (!isSystemStream(name)) names.push(name);
    } else {
      for await (const c of jsm.consumers.list(stream ?? globals.stream)) {
        if (c.config.durable_name) names.push(c.name);
      }
    }
    return names.sort();
  })();
  const deadline = new Promise<string[]>((resolve) =>
    setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS + 500).unref(),
  );
  return Promise.race([lookup, deadline]);
}

async function valuesOf(kind: ValueKind, words: string[]): Promise<string[]> {
  switch (kind.kind) {
    case "choices":
      return kind.choices;
    case "contexts":
      return listContextNames();
    case "files":
      return [FILES];
    case "streams":
    case "consumers":
      return serverNames(kind.kind, words, kind.kind === "consumers" ? kind.stream : undefined);
    case "none":
      return [];
  }
}

/** Characters a candidate line cannot carry to the shell (line and field separators). */
const UNCARRIABLE = /[\u0000-\u001f\u007f]/;

type Quote = "'" | '"';

/**
 * `word` as a POSIX shell would read it, quotes and backslashes removed, with nothing
 * expanded: `'a b'`, `"a b"` and `a\ b` are `a b`; `$(x)` stays `$(x)`. An unterminated
 * quote (the user is still typing) ends with the word; `open` says which.
 */
export function readWord(word: string): { text: string; open?: Quote } {
  let text = "";
  let quote: Quote | undefined;
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else text += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < word.length && '$`"\\\n'.includes(word[i + 1]!))
        text += word[++i];
      else text += c;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "\\" && i + 1 < word.length) text += word[++i];
    else text += c;
  }
  return quote ? { text, open: quote } : { text };
}

export function unquoteWord(word: string): string {
  return readWord(word).text;
}

/** ASCII characters a bash word holds unquoted (non-ASCII letters are left as they are). */
const BASH_PLAIN = /[^A-Za-z0-9_\-./,:@%+=\u0080-\uffff]/g;

/**
 * `name` as bash must read it back, for readline to insert as is: backslashes outside
 * quotes; inside the quote the user opened, that quote's escapes (readline closes it).
 * bash's own `-o filenames` quoting leaves `$`, `)` and `}` bare, so it is not used.
 */
export function quoteForBash(name: string, open?: Quote): string {
  if (open === "'") return name.replace(/'/g, "'\\''");
  if (open === '"') return name.replace(/[\\$`"]/g, "\\$&");
  return name.replace(BASH_PLAIN, "\\$&");
}

/**
 * The candidates for the last of `words` (the words typed after `tweetstream`; the last
 * may be empty): for bash quoted as it must insert them, for zsh and fish each a name
 * exactly as it is, for the shell to quote when it inserts it; names a line cannot carry
 * (control characters) are left out. Never throws: a failed lookup is no candidates.
 */
export async function completeWords(
  program: Command,
  words: string[],
  opts: { shell?: string } = {},
): Promise<string[]> {
  // bash and zsh hand the words as typed; fish has already unquoted all but the last
  const typed = words.slice(0, -1).map((w) => (opts.shell === "fish" ? w : unquoteWord(w)));
  const { text: current, open } = readWord(words[words.length - 1] ?? "");
  const pos = walk(program, typed);
  let candidates: string[];
  try {
    if (pos.pendingOption && !(pos.pendingOption.optional && current.startsWith("-"))) {
      // the option still lacks its value: leave it out when reading the global options
      candidates = await valuesOf(optionValueKind(pos.pendingOption, pos), typed.slice(0, -1));
    } else if (current.startsWith("-")) {
      candidates = optionNames(pos.cmd);
    } else if (pos.cmd.commands.length > 0 && pos.operands.length === 0) {
      candidates = new Help().visibleCommands(pos.cmd).map((c) => c.name());
    } else {
      candidates = await valuesOf(argumentValueKind(pos), typed);
    }
  } catch {
    return [];
  }
  if (candidates[0] === FILES) return candidates;
  const fitting = candidates.filter(
    (c) => c.startsWith(current) && !UNCARRIABLE.test(c) && c !== FILES,
  );
  return opts.shell === "bash" ? fitting.map((c) => quoteForBash(c, open)) : fitting;
}
