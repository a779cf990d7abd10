import type { PartitionMetadata } from '../core/model.js';
import { bytes, fields, json, ndjson, palette, type Format, type Style } from './output.js';
import { stateColor } from './nodes.js';

/** Partition listings stream row by row, so each format is an incremental writer. */

export interface PartitionRow {
  partition_id: string;
  start: string | null;
  state: string;
  leader: string;
  nodes: string[];
  size_bytes: number;
  record_count: number;
  updated_at: string;
}

export function partitionRow(p: PartitionMetadata, start: string | null): PartitionRow {
  return {
    partition_id: p.partition_id,
    start,
    state: p.state,
    leader: p.leader,
    nodes: p.nodes,
    size_bytes: p.size_bytes,
    record_count: p.record_count,
    updated_at: p.updated_at,
  };
}

export { bytes };

export interface RowStream {
  row(r: PartitionRow): string;
  end(): string;
}

export function rowStream(format: Format, style: Style): RowStream {
  let first = true;
  let count = 0;
  switch (format) {
    case 'json':
      return {
        row: (r) => {
          const s = `${first ? '[\n' : ',\n'}${JSON.stringify(r)}`;
          first = false;
          return s;
        },
        end: () => (first ? '[]\n' : '\n]\n'),
      };
    case 'ndjson':
      return { row: (r) => `${JSON.stringify(r)}\n`, end: () => '' };
    case 'tsv':
      return {
        row: (r) =>
          `${[r.partition_id, r.start ?? '', r.state, r.leader, r.nodes.join(','), r.size_bytes, r.record_count, r.updated_at].join('\t')}\n`,
        end: () => '',
      };
    case 'table': {
      const c = palette(style);
      return {
        row: (r) => {
          const head =
            count++ === 0
              ? `${c.bold(['PARTITION'.padEnd(30), 'START'.padEnd(20), 'STATE'.padEnd(11), 'LEADER'.padEnd(12), 'SIZE'.padStart(9), '  REPLICAS'].join(' '))}\n`
              : '';
          return `${head}${r.partition_id.padEnd(30)} ${(r.start ?? '-').padEnd(20)} ${stateColor(r.state.padEnd(11), style)} ${r.leader.padEnd(12)} ${bytes(r.size_bytes).padStart(9)}   ${r.nodes.join(',')}\n`;
        },
        end: () => (count === 0 ? 'no partitions match\n' : `${count} partition(s)\n`),
      };
    }
  }
}

export function renderPartition(
  p: PartitionMetadata,
  extra: { mod_revision?: number; ring_replicas?: string[]; disagrees?: boolean },
  format: Format,
  style: Style,
): string {
  const doc = { ...p, ...extra };
  switch (format) {
    case 'json':
      return json(doc);
    case 'ndjson':
      return ndjson([doc]);
    case 'tsv':
      return [
        p.partition_id,
        p.state,
        p.leader,
        p.nodes.join(','),
        p.size_bytes,
        p.record_count,
        p.created_at,
        p.updated_at,
      ].join('\t');
    case 'table': {
      const c = palette(style);
      const pairs: [string, string][] = [
        ['partition', c.bold(p.partition_id)],
        ['state', stateColor(p.state, style)],
        ['leader', p.leader],
        ['nodes', p.nodes.join(', ')],
        ['size', `${bytes(p.size_bytes)} (${p.size_bytes} bytes)`],
        ['records', String(p.record_count)],
        ['created', p.created_at],
        ['updated', p.updated_at],
      ];
      if (extra.ring_replicas)
        pairs.push([
          'ring would say',
          `${extra.ring_replicas.join(', ')}${extra.disagrees ? c.yellow('  (differs: moved by a rebalance?)') : ''}`,
        ]);
      if (extra.mod_revision !== undefined) pairs.push(['mod revision', String(extra.mod_revision)]);
      return fields(pairs, style);
    }
  }
}
