import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';

export { FORMATS, type Format } from './formats.js';

export interface Style {
  color: boolean;
}

export function palette(style: Style): ChalkInstance {
  return new Chalk({ level: style.color ? 1 : 0 });
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
