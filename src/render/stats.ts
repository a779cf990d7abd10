import type { NodeInfo } from '../core/model.js';
import { json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';
import { stateColor } from './nodes.js';
import { bytes } from './partitions.js';

export interface NodeStats {
  partitions: number;
  leaders: number;
  bytes: number;
  records: number;
}

export interface PartitionStats {
  by: string;
  partitions: number;
  bytes: number;
  records: number;
  skew: number;
  /** Values that did not parse (see `otlpctl doctor`). */
  unreadable: number;
  nodes: Record<string, NodeStats>;
  leader_bytes?: Record<string, number>;
}

export function renderStats(s: PartitionStats, nodes: NodeInfo[], format: Format, style: Style): string {
  const state = new Map(nodes.map((n) => [n.node_id, n.state]));
  const entries = Object.entries(s.nodes).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  switch (format) {
    case 'json':
      return json(s);
    case 'ndjson':
      return ndjson(
        entries.map(([node_id, n]) => ({ node_id, state: state.get(node_id) ?? 'Unknown', ...n })),
      );
    case 'tsv':
      return tsv(
        entries.map(([id, n]) => [
          id,
          state.get(id) ?? 'Unknown',
          n.partitions,
          n.leaders,
          n.bytes,
          n.records,
        ]),
      );
    case 'table': {
      const c = palette(style);
      const up = entries.filter(([id]) => state.get(id) === 'Up');
      const mean = up.length ? up.reduce((a, [, n]) => a + n.bytes, 0) / up.length : 0;
      const rows = entries.map(([id, n]) => [
        id,
        stateColor(state.get(id) ?? 'Unknown', style),
        n.partitions,
        n.leaders,
        bytes(n.bytes),
        n.records,
        mean && state.get(id) === 'Up'
          ? `${n.bytes >= mean ? '+' : ''}${(((n.bytes - mean) / mean) * 100).toFixed(1)} %`
          : '',
      ]);
      const summary = `${s.partitions} partitions, ${bytes(s.bytes)}, ${s.records} records; skew by ${s.by} ${(s.skew * 100).toFixed(1)} %${
        s.unreadable ? c.yellow(`; ${s.unreadable} unreadable value(s): run 'otlpctl doctor'`) : ''
      }`;
      return `${table(['NODE', 'STATE', 'PARTITIONS', 'LEADERS', 'BYTES', 'RECORDS', 'VS MEAN'], rows, style)}\n${summary}`;
    }
  }
}
