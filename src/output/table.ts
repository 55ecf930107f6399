// Tables that fit the terminal: columns shrink (cells end in "…") and then drop, in an
// order each table chooses, until the table fits `width`. Without a width (a pipe, a
// file) every column is drawn in full. cli-table3 is loaded only when a table is drawn.

import type { ChalkInstance } from "chalk";
import { visibleLength } from "./format.js";

export interface Column {
  header: string;
  align?: "left" | "right";
  /** may be cut down to this many characters (with "…"); never cut when absent */
  minWidth?: number;
  /** dropped when the table does not fit, lowest first; never dropped when absent */
  dropRank?: number;
}

/**
 * The columns natscli's `ls` tables start with — Name, Description, Created — then `rest`.
 * To fit, the description and then the name are cut, and Created, Description and the
 * `rest` column with dropRank 3 are dropped, in that order.
 */
export function listColumns(...rest: Column[]): Column[] {
  return [
    { header: "Name", minWidth: 12 },
    { header: "Description", minWidth: 11, dropRank: 2 },
    { header: "Created", dropRank: 1 },
    ...rest,
  ];
}

/** cli-table3's width of a table: cells + 1 padding each side + one border per column + 1. */
const tableWidth = (widths: number[]) => widths.reduce((sum, w) => sum + w + 3, 1);

/** Which columns to keep and how wide each may be, for a terminal `width` wide. */
export function fitColumns(
  columns: Column[],
  rows: string[][],
  width: number | undefined,
): { keep: number[]; widths: number[] } {
  const natural = columns.map((c, i) =>
    Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ""))),
  );
  let keep = columns.map((_, i) => i);
  const fit = (): number[] => {
    const widths = keep.map((i) => natural[i]!);
    let excess = width === undefined ? 0 : tableWidth(widths) - width;
    // the rightmost shrinkable column gives way first (Description before Name)
    [...keep.entries()].reverse().forEach(([k, i]) => {
      const min = columns[i]!.minWidth;
      if (excess <= 0 || min === undefined) return;
      const cut = Math.min(excess, Math.max(0, widths[k]! - min));
      widths[k]! -= cut;
      excess -= cut;
    });
    return widths;
  };
  let widths = fit();
  const droppable = keep
    .filter((i) => columns[i]!.dropRank !== undefined)
    .sort((a, b) => columns[a]!.dropRank! - columns[b]!.dropRank!);
  while (width !== undefined && tableWidth(widths) > width && droppable.length > 0) {
    const drop = droppable.shift()!;
    keep = keep.filter((i) => i !== drop);
    widths = fit();
  }
  return { keep, widths };
}

/** A bordered table like natscli's, fitted to `width` when there is one. */
export async function renderTable(
  columns: Column[],
  rows: string[][],
  color: ChalkInstance,
  width: number | undefined,
): Promise<string> {
  const { default: Table } = await import("cli-table3");
  const { keep, widths } = fitColumns(columns, rows, width);
  const table = new Table({
    head: keep.map((i) => color.bold(columns[i]!.header)),
    style: { head: [], border: [] },
    colAligns: keep.map((i) => columns[i]!.align ?? "left"),
    ...(width !== undefined ? { colWidths: widths.map((w) => w + 2) } : {}),
  });
  for (const row of rows) table.push(keep.map((i) => row[i] ?? ""));
  return table.toString();
}
