import type { LocateResult } from '../commands/cluster.js';
import { fields, json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';
import { stateColor } from './nodes.js';

/** Rendering of the locate family: one block per result, or a table of rows for many. */

function replicasText(r: LocateResult, style: Style): string {
  const c = palette(style);
  return r.replicas
    .map((x) => {
      const mark = x.node_id === r.leader ? c.bold(`${x.node_id}*`) : x.node_id;
      return x.state === 'Up' ? mark : `${mark}(${stateColor(x.state, style)})`;
    })
    .join(', ');
}

function block(r: LocateResult, lead: ReadonlyArray<readonly [string, string]>, style: Style): string {
  const c = palette(style);
  const pairs: [string, string][] = [
    ...lead.map(([k, v]) => [k, v] as [string, string]),
    ['partition', c.bold(r.partition_id)],
    [
      'time partition',
      `${r.time_partition.bucket_id}  [${r.time_partition.start} .. ${r.time_partition.end})`,
    ],
    ['hash partition', String(r.hash_partition)],
    [
      'source',
      r.source === 'metadata'
        ? `metadata (state ${stateColor(r.state ?? '', style)})`
        : 'ring (no metadata stored)',
    ],
    ['leader', r.leader ?? c.red('none')],
    ['replicas', `${replicasText(r, style) || c.red('none')}   (* = leader)`],
  ];
  for (const x of r.replicas) {
    if (x.location) {
      const l = x.location;
      pairs.push([
        `  ${x.node_id}`,
        `${l.region || '-'} / ${l.availability_zone || '-'} / ${l.data_center || '-'}`,
      ]);
    }
  }
  pairs.push([
    'preferred',
    r.preferred ? `${c.green(r.preferred.node_id)}  (${r.preferred.reason})` : c.red('no Up replica'),
  ]);
  for (const w of r.warnings) pairs.push(['warning', c.yellow(w)]);
  return fields(pairs, style);
}

export function renderLocated<T extends LocateResult>(
  results: T[],
  many: boolean,
  format: Format,
  style: Style,
  lead?: (r: T) => [string, string][],
): string {
  switch (format) {
    case 'json':
      return json(many ? results : results[0]);
    case 'ndjson':
      return ndjson(results);
    case 'tsv':
      return tsv(
        results.map((r) => [
          r.partition_id,
          r.time_partition.start,
          r.source,
          r.leader,
          r.replicas.map((x) => x.node_id).join(','),
          r.preferred?.node_id,
          r.warnings.join('; '),
        ]),
      );
    case 'table':
      if (!many) return block(results[0]!, lead?.(results[0]!) ?? defaultLead(results[0]!), style);
      return table(
        ['PARTITION', 'START', 'SOURCE', 'LEADER', 'REPLICAS', 'PREFERRED', 'WARNINGS'],
        results.map((r) => [
          r.partition_id,
          r.time_partition.start,
          r.source,
          r.leader,
          replicasText(r, style),
          r.preferred?.node_id ?? '-',
          r.warnings.length ? palette(style).yellow(r.warnings.join('; ')) : '',
        ]),
        style,
      );
  }
}

function defaultLead(r: LocateResult & { trace_id?: unknown }): [string, string][] {
  return typeof r.trace_id === 'string' ? [['trace id', r.trace_id]] : [];
}
