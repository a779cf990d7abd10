import { createRequire } from 'node:module';
import type { ChalkInstance } from 'chalk';
import type TableType from 'cli-table3';

export { FORMATS, type Format } from './formats.js';

export interface Style {
  color: boolean;
}

// chalk and cli-table3 cost ~40 ms to load: only tables on a terminal need them, so they are
// required on first use (Node ≥ 20.19 can require the ESM chalk) rather than imported up front.
const require = createRequire(import.meta.url);

export interface Palette {
  bold(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

const PLAIN: Palette = { bold: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s };
let colored: ChalkInstance | undefined;

export function palette(style: Style): Palette {
  if (!style.color) return PLAIN;
  colored ??= new (require('chalk') as typeof import('chalk')).Chalk({ level: 1 });
  return colored;
}

/** Pretty JSON for one document; 64-bit hashes are already decimal strings in the data. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function ndjson(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join('\n');
}

/** TSV: tabs and newlines inside a cell would break columns, so they become spaces. */
export function tsv(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return rows.map((r) => r.map((c) => String(c ?? '').replace(/[\t\n\r]/g, ' ')).join('\t')).join('\n');
}

export function table(
  head: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>,
  style: Style,
): string {
  const c = palette(style);
  const Table = require('cli-table3') as typeof TableType;
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: style.color ? ['grey'] : [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) t.push(r.map((cell) => String(cell ?? '')));
  return t.toString();
}

/** A key/value block for one record, aligned, as `kubectl describe` prints. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>, style: Style): string {
  const c = palette(style);
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${c.bold(k.padEnd(width))}  ${v}`).join('\n');
}

/**
 * A status line redrawn in place on a terminal: back to the start, the text, then erase what a
 * longer previous line left to its right (else `… 1.64 TB of 5.54 TBB`).
 */
export function redraw(line: string): string {
  return `\r${line}\x1b[K`;
}

/** Bytes in decimal units (1 GB = 10^9 B), as sizes are shown everywhere. */
export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
