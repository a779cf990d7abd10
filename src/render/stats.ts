import type { NodeInfo } from '../core/model.js';
import { json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';
import { stateColor } from './nodes.js';
import { bytes } from './partitions.js';

export interface NodeStats {
  partitions: number;
  leaders: number;
  bytes: number;
  /** Bytes of the partitions this node leads (the seed's load measure). */
  leader_bytes: number;
  records: number;
  /** `load / fair share − 1` in the unit of `by`, for Up nodes. */
  vs_fair?: number;
}

export interface PartitionStats {
  by: string;
  partitions: number;
  bytes: number;
  records: number;
  /** `max(load / fair share) − 1` over Up nodes, in the unit of `by` (PRODUCT.md §9). */
  skew: number;
  /** `1 − min(load / fair share)`: the under-loaded side. */
  under: number;
  /** Values that did not parse (see `otlpctl doctor`). */
  unreadable: number;
  nodes: Record<string, NodeStats>;
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
          n.leader_bytes,
          n.vs_fair,
        ]),
      );
    case 'table': {
      const c = palette(style);
      const weight = new Map(nodes.map((n) => [n.node_id, n.weight]));
      const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
      const rows = entries.map(([id, n]) => [
        id,
        stateColor(state.get(id) ?? 'Unknown', style),
        weight.get(id) ?? '',
        n.partitions,
        n.leaders,
        bytes(n.bytes),
        bytes(n.leader_bytes),
        n.records,
        n.vs_fair === undefined ? '' : signed(n.vs_fair),
      ]);
      const summary = `${s.partitions} partitions, ${bytes(s.bytes)}, ${s.records} records; by ${s.by} against each Up node's weighted fair share: skew ${signed(s.skew)}, emptiest ${signed(-s.under)}${
        s.unreadable ? c.yellow(`; ${s.unreadable} unreadable value(s): run 'otlpctl doctor'`) : ''
      }`;
      return `${table(
        [
          'NODE',
          'STATE',
          'WEIGHT',
          'PARTITIONS',
          'LEADERS',
          'BYTES',
          'LEADER BYTES',
          'RECORDS',
          `VS FAIR (${s.by})`,
        ],
        rows,
        style,
      )}\n${summary}`;
    }
  }
}
