// Pure formatting helpers shared by the human renderers: sizes, counts, times, ages.

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

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
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

/** Columns `text` takes on a terminal (ANSI colours take none). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/** Plain `text` cut to `width` columns, ending in "…" when cut. */
export function ellipsize(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 0 ? "" : chars.slice(0, width - 1).join("") + "…";
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
 * `parts` joined by `sep` on as few lines as fit `width` (continuation lines indented by
 * two spaces); on one line without a width.
 */
export function wrapParts(parts: string[], width: number | undefined, sep = ", "): string {
  if (width === undefined) return parts.join(sep);
  const lines: string[] = [];
  let line = "";
  for (const part of parts) {
    const next = line === "" ? part : line + sep + part;
    if (line !== "" && visibleLength(next) > width) {
      lines.push(line + sep.trimEnd());
      line = "  " + part;
    } else line = next;
  }
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
