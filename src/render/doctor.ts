import type { Check, Finding } from '../core/doctor.js';
import { json, ndjson, palette, table, tsv, type Format, type Style } from './format.js';

export interface DoctorReport {
  ok: boolean;
  checked: number;
  counts: Partial<Record<Check, number>>;
  /** At most a few hundred per check; `counts` is exact. */
  findings: Finding[];
}

export function renderDoctor(r: DoctorReport, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(r);
    case 'ndjson':
      return ndjson(r.findings);
    case 'tsv':
      return tsv(r.findings.map((f) => [f.check, f.subject, f.detail]));
    case 'table': {
      const c = palette(style);
      if (r.ok) return c.green(`ok: ${r.checked} partitions checked, nothing wrong`);
      const summary = Object.entries(r.counts)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      return `${table(
        ['CHECK', 'SUBJECT', 'DETAIL'],
        r.findings.map((f) => [c.red(f.check), f.subject, f.detail]),
        style,
      )}\n${c.red(`problems in ${r.checked} partitions checked: ${summary}`)}`;
    }
  }
}
