// Pure formatting helpers shared by the human renderers: sizes, counts, times, ages, and
// fitting text to a terminal by display width (get-east-asian-width's Unicode table).

import { eastAsianWidth } from "get-east-asian-width";
import { formatCount } from "../util/count.js";

export { formatCount };

const SIZE_STEPS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 4836 → "4.7 KiB"; 12 → "12 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "-";
  let value = bytes;
  let step = 0;
  while (value >= 1024 && step < SIZE_STEPS.length - 1) {
    value /= 1024;
    step++;
  }
  const digits = step === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${SIZE_STEPS[step]}`;
}

/** "1 event", "1,000 events": a count with its noun in the right number. */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time as "2022-01-07 22:01:27". */
export function formatTime(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Milliseconds as the nats CLI shows durations: "10m15s", "1d2h", "350ms". */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.floor(ms / 1000);
  const parts: string[] = [];
  const units: [string, number][] = [
    ["y", 365 * 86400],
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  for (const [unit, size] of units) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join("");
}

/** Time since `date` ("10m15s"), or "never" when there is none. */
export function formatAge(date: Date | null, now = Date.now()): string {
  return date ? formatDuration(now - date.getTime()) : "never";
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
/** Printable ASCII only: one column per character, no need to look further. */
const PLAIN = /^[\x20-\x7e]*$/;
/** A character that takes room (not a control, format character or combining mark). */
const VISIBLE =
  /[^\p{Default_Ignorable_Code_Point}\p{Control}\p{Format}\p{Nonspacing_Mark}\p{Enclosing_Mark}\p{Surrogate}]/u;
// built at run time: TypeScript's ES2022 target refuses the `v` flag in a literal (Node 20 has it)
let emoji: RegExp | undefined;
let graphemes: Intl.Segmenter | undefined;

/**
 * Terminal cells of one grapheme cluster: emoji (RGI sequences, flags, keycaps) 2; else
 * the East Asian Width of its first visible character (Wide and Fullwidth 2, Ambiguous 1
 * as most terminals draw it); nothing visible (combining marks, controls, ZWJ) 0.
 */
function clusterWidth(cluster: string): number {
  const at = cluster.search(VISIBLE);
  if (at < 0) return 0;
  emoji ??= new RegExp("^\\p{RGI_Emoji}$", "v");
  if (emoji.test(cluster)) return 2;
  return eastAsianWidth(cluster.codePointAt(at)!, { ambiguousAsWide: false });
}

function clusters(text: string): Iterable<string> {
  graphemes ??= new Intl.Segmenter();
  return [...graphemes.segment(text)].map((s) => s.segment);
}

/**
 * Columns `text` takes on a terminal: display width by grapheme cluster (CJK and emoji
 * 2, combining marks 0), ANSI colours none.
 */
export function visibleLength(text: string): number {
  const plain = text.replace(ANSI, "");
  if (PLAIN.test(plain)) return plain.length;
  let width = 0;
  for (const c of clusters(plain)) width += clusterWidth(c);
  return width;
}

/**
 * Plain `text` cut to `width` columns, ending in "…" when cut; never inside a grapheme
 * cluster, and a wide character that would straddle the edge is left out whole.
 */
export function ellipsize(text: string, width: number): string {
  if (PLAIN.test(text)) {
    if (text.length <= width) return text;
    return width <= 0 ? "" : text.slice(0, width - 1) + "…";
  }
  if (visibleLength(text) <= width) return text;
  if (width <= 0) return "";
  let kept = "";
  let used = 0;
  for (const c of clusters(text)) {
    const w = clusterWidth(c);
    if (used + w > width - 1) break;
    kept += c;
    used += w;
  }
  return kept + "…";
}

/**
 * The first of `variants` (most detailed first) that fits a terminal `width` columns wide,
 * else the last; without a width (a pipe, a file) always the first, in full.
 */
export function fitting(width: number | undefined, ...variants: string[]): string {
  if (width === undefined) return variants[0]!;
  return variants.find((v) => visibleLength(v) <= width) ?? variants[variants.length - 1]!;
}

/**
 * `text` broken at spaces into lines of at most `width` columns, later lines starting
 * with `indent`; a word wider than a line is cut only when it has to be.
 */
export function wrapWords(text: string, width: number, indent = "  "): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (visibleLength(next) <= width || line.trim() === "") line = next;
    else {
      lines.push(line);
      line = indent + word;
    }
  }
  return [...lines, line];
}

/**
 * Text as a terminal `width` wide shows it: each line wider than it broken between words
 * (later lines indented), so the terminal never cuts one mid-word; as it is without a
 * width (a pipe, a file).
 */
export function fitLines(text: string, width: number | undefined): string {
  if (width === undefined) return text;
  return text
    .split("\n")
    .flatMap((line) => wrapWords(line, width))
    .join("\n");
}

/**
 * `parts` joined by `sep` on as few lines as fit `width` (continuation lines indented by
 * two spaces), breaking between parts, after the separator (never a separator alone on a
 * line), and inside a part only at a space when the part alone is wider than a line; on
 * one line without a width.
 */
export function wrapParts(parts: string[], width: number | undefined, sep = ", "): string {
  if (width === undefined) return parts.join(sep);
  const tail = sep.trimEnd();
  const lines: string[] = [];
  let line = "";
  parts.forEach((part, i) => {
    // a part that is not the last is followed by the separator, on this line or at its end
    const end = i < parts.length - 1 ? tail : "";
    const next = line === "" ? part : line + sep + part;
    if (line === "" || visibleLength(next + end) <= width) line = next;
    else {
      lines.push(line + tail);
      line = "  " + part;
    }
    if (visibleLength(line + end) > width) {
      const words = wrapWords(line + end, width);
      lines.push(...words.slice(0, -1));
      line = words[words.length - 1]!.slice(0, words[words.length - 1]!.length - end.length);
    }
  });
  return [...lines, line].join("\n");
}

/** Plain `text` in lines of at most `width` columns: broken at spaces, else mid-word. */
function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (visibleLength(next) <= width) {
      line = next;
      continue;
    }
    if (line !== "") lines.push(line);
    let rest = [...word];
    while (rest.length > width) {
      lines.push(rest.slice(0, width).join(""));
      rest = rest.slice(width);
    }
    line = rest.join("");
  }
  return [...lines, line];
}

/**
 * "  Label: value" rows with the labels right-aligned, as natscli's info reports; a value
 * too long for `width` columns (80: what info promises everywhere) continues on the next
 * lines under itself.
 */
export function renderRows(pairs: [label: string, value: string][], width = 80): string {
  const labels = Math.max(...pairs.map(([k]) => k.length));
  const indent = " ".repeat(labels + 4);
  const room = Math.max(width - indent.length, 20);
  return pairs
    .map(([k, v]) => {
      const coloured = v.includes("\u001b"); // short ones (cluster states): left as they are
      const lines = coloured ? [v] : wrapText(v, room);
      return `  ${k.padStart(labels)}: ${lines.join(`\n${indent}`)}`;
    })
    .join("\n");
}
