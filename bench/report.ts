import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A column of a printed table: its header and how a row shows in it. */
export interface Column<R> {
  readonly header: string;
  readonly cell: (row: R) => string;
  /** Numbers read best right-aligned. */
  readonly align?: 'left' | 'right';
}

/** A plain-text table, columns padded to their widest cell. */
export function formatTable<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, c) => Math.max(column.header.length, ...cells.map((line) => line[c].length)));
  const pad = (text: string, c: number): string =>
    columns[c].align === 'right' ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const lines = [
    columns.map((column, c) => pad(column.header, c)).join('  '),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...cells.map((line) => line.map(pad).join('  ')),
  ];
  return lines.map((line) => line.trimEnd()).join('\n');
}

/** Writes a suite's results to `<dir>/<suite>-<timestamp>.json` and returns the path. */
export function writeResults(dir: string, suite: string, results: unknown): string {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${suite}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Seconds with three significant digits: 0.0123 s, 1.23 s, 123 s. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} s`;
}
