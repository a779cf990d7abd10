import { json, ndjson, table, tsv, type Format, type Style } from './output.js';

/** One `<prefix>/audit/` record as `audit list` shows it (unknown fields kept for JSON). */
export interface AuditRecord {
  key: string;
  at: string;
  user?: string;
  host?: string;
  pid?: number;
  command: string;
  reason?: string;
  result: string;
  details?: Record<string, unknown>;
  [field: string]: unknown;
}

const HEAD = ['TIME', 'COMMAND', 'RESULT', 'USER', 'REASON', 'DETAILS'];

function row(r: AuditRecord): string[] {
  return [r.at, r.command, r.result, r.user ?? '', r.reason ?? '', details(r.details)];
}

// A table stays readable on a terminal; -o json and tsv carry every detail.
const DETAILS_WIDTH = 72;
const cell = (r: AuditRecord) => {
  const x = row(r);
  const d = x[5]!;
  if (d.length > DETAILS_WIDTH) x[5] = `${d.slice(0, DETAILS_WIDTH - 1)}…`;
  return x;
};

/** `k=v` pairs, nested values as compact JSON: the gist of a run on one line. */
function details(d: Record<string, unknown> | undefined): string {
  if (!d) return '';
  return Object.entries(d)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function renderAudit(records: AuditRecord[], format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(records);
    case 'ndjson':
      return ndjson(records);
    case 'tsv':
      return tsv(records.map(row));
    case 'table':
      if (records.length === 0) return 'no audit records match';
      return table(HEAD, records.map(cell), style);
  }
}
