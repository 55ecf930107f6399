// No file in src/ over MAX_LINES lines: a file that grows past a screenful of screens is split
// into parts whose names say their job (docs/development.md). Run by .ci/run (npm run lint:size);
// prints every file over the limit and exits 1, except the known exceptions below.
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

const MAX_LINES = 400;

/** Files being split in the same session, each with its issue: remove the entry once it is. */
/** @type {Map<string, string>} */
const KNOWN = new Map();

const root = join(import.meta.dirname, "..", "..");

/** @param {string} file */
function lineCount(file) {
  const text = readFileSync(file, "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

let over = 0;
const sources = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" })
  .filter((name) => /\.(ts|js|mjs|cjs)$/.test(name))
  .sort()
  .map((name) => join(root, "src", name));
for (const file of sources) {
  const lines = lineCount(file);
  if (lines <= MAX_LINES) continue;
  const name = relative(root, file);
  const known = KNOWN.get(name);
  if (known) {
    console.log(`${name}: ${lines} lines (known exception, ${known})`);
    continue;
  }
  console.error(`${name}: ${lines} lines, more than ${MAX_LINES}: split it`);
  over++;
}
for (const name of KNOWN.keys()) {
  try {
    if (lineCount(join(root, name)) <= MAX_LINES)
      console.error(`${name} is within ${MAX_LINES} lines now: remove its exception`);
  } catch {
    console.error(`${name} is gone: remove its exception`);
  }
}
process.exitCode = over > 0 ? 1 : 0;
