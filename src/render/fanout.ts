import type { Signal } from '../core/model.js';
import { json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';

export interface Fanout {
  signal: Signal;
  service_name: string | null;
  from: string;
  to: string;
  time_partitions: number;
  partitions: { partition_id: string; source: 'metadata' | 'ring'; preferred: string | null }[];
  nodes: Record<string, { partitions: number; reasons: Record<string, number> }>;
  /** Partitions with no Up replica: a query cannot read them. */
  unavailable: string[];
}

export function renderFanout(f: Fanout, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(f);
    case 'ndjson':
      return ndjson(f.partitions);
    case 'tsv':
      return tsv(f.partitions.map((p) => [p.partition_id, p.source, p.preferred]));
    case 'table': {
      const c = palette(style);
      const rows = Object.entries(f.nodes)
        .sort((a, b) => b[1].partitions - a[1].partitions || (a[0] < b[0] ? -1 : 1))
        .map(([id, n]) => [
          id,
          n.partitions,
          Object.entries(n.reasons)
            .map(([r, k]) => `${k}× ${r}`)
            .join('; '),
        ]);
      const head = `${f.partitions.length} ${f.signal} partitions in ${f.time_partitions} time partition(s), ${f.from} .. ${f.to}, read from ${rows.length} node(s)`;
      const warn = f.unavailable.length
        ? `\n${c.red(`${f.unavailable.length} partition(s) have no Up replica, e.g. ${f.unavailable.slice(0, 3).join(', ')}`)}`
        : '';
      return `${head}\n${table(['NODE', 'PARTITIONS', 'WHY'], rows, style)}${warn}`;
    }
  }
}
