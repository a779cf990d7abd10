import { json, ndjson, palette, table, tsv, type Format, type Style } from './format.js';
import { stateColor } from './nodes.js';

export interface RingNodeReport {
  node_id: string;
  state: string;
  points: number;
  share: number;
  partitions: number;
  points_after?: number;
  share_after?: number;
  partitions_after?: number;
}

export interface RingReport {
  placement: string;
  hours: number;
  partitions: number;
  nodes: RingNodeReport[];
  skew: number;
  threshold: number;
  simulate: {
    added: string[];
    removed: string[];
    moved: number;
    moved_share: number;
    ideal_share: number;
    skew_after: number;
  } | null;
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

export function renderRing(r: RingReport, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(r);
    case 'ndjson':
      return ndjson(r.nodes);
    case 'tsv':
      return tsv(
        r.nodes.map((n) => [
          n.node_id,
          n.state,
          n.points,
          n.share.toFixed(6),
          n.partitions,
          n.partitions_after,
        ]),
      );
    case 'table': {
      const c = palette(style);
      const up = r.nodes.filter((n) => n.state === 'Up');
      const mean = up.length ? up.reduce((a, n) => a + n.partitions, 0) / up.length : 0;
      const sim = r.simulate !== null;
      const rows = r.nodes.map((n) => [
        n.node_id,
        stateColor(n.state, style),
        n.points,
        pct(n.share),
        n.partitions,
        mean
          ? `${n.partitions >= mean ? '+' : ''}${(((n.partitions - mean) / mean) * 100).toFixed(1)} %`
          : '',
        ...(sim ? [n.partitions_after ?? 0] : []),
      ]);
      const head = ['NODE', 'STATE', 'POINTS', 'SHARE', 'PARTITIONS', 'DEVIATION', ...(sim ? ['AFTER'] : [])];
      const over = r.skew > r.threshold;
      const lines = [
        table(head, rows, style),
        `${r.partitions} replica placements over ${r.hours} h (placement ${r.placement}); skew ${
          over ? c.red(pct(r.skew)) : c.green(pct(r.skew))
        } (threshold ${pct(r.threshold)}${over ? ', over: consider `otlpctl rebalance plan`' : ''})`,
      ];
      if (r.simulate) {
        const s = r.simulate;
        const ratio = s.ideal_share > 0 ? (s.moved_share / s.ideal_share).toFixed(2) : '-';
        lines.push(
          `simulated ${[...s.added.map((a) => `+${a}`), ...s.removed.map((x) => `-${x}`)].join(' ')}: ` +
            `${s.moved} placements move (${pct(s.moved_share)}; ideal ${pct(s.ideal_share)}, ${ratio}× ideal); skew after ${pct(s.skew_after)}`,
        );
      }
      return lines.join('\n');
    }
  }
}
