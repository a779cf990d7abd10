import { json, ndjson, palette, table, tsv, type Format, type Palette, type Style } from './output.js';
import { stateColor } from './nodes.js';

export interface RingNodeReport {
  node_id: string;
  state: string;
  weight: number;
  zone: string;
  points: number;
  share: number;
  partitions: number;
  /** `partitions / fair share − 1` for an Up node, else null. */
  deviation: number | null;
  points_after?: number;
  share_after?: number;
  partitions_after?: number;
  deviation_after?: number | null;
}

export interface FailureCountsReport {
  partitions: number;
  unavailable: number;
  under_quorum: number;
}

export interface FailureReport extends FailureCountsReport {
  zone?: string;
  /** The nodes taken down (a zone's nodes, or those named). */
  nodes: string[];
  signals: Record<'traces' | 'metrics' | 'logs', FailureCountsReport>;
  /** Partitions in the window placed by their stored metadata rather than the placement rule. */
  stored: number;
}

export interface RingReport {
  placement: string;
  zone_aware: boolean;
  hours: number;
  from: string;
  to: string;
  buckets: number;
  partitions: number;
  nodes: RingNodeReport[];
  skew: number;
  under: number;
  threshold: number;
  simulate: {
    added: string[];
    removed: string[];
    moved: number;
    moved_share: number;
    ideal_share: number;
    skew_after: number;
    under_after: number;
  } | null;
  failure: FailureReport | null;
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const dev = (x: number | null | undefined) =>
  x === null || x === undefined ? '' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

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
    case 'table':
      return renderTable(r, style);
  }
}

function renderTable(r: RingReport, style: Style): string {
  const c = palette(style);
  const sim = r.simulate !== null;
  const rows = r.nodes.map((n) => [
    n.node_id,
    stateColor(n.state, style),
    n.points,
    pct(n.share),
    n.partitions,
    dev(n.deviation),
    ...(sim ? [pct(n.share_after ?? 0), n.partitions_after ?? 0, dev(n.deviation_after)] : []),
  ]);
  const head = [
    'NODE',
    'STATE',
    'POINTS',
    'SHARE',
    'PARTITIONS',
    'DEVIATION',
    ...(sim ? ['SHARE AFTER', 'PARTITIONS AFTER', 'DEVIATION AFTER'] : []),
  ];
  const placement = `placement ${r.placement}${r.zone_aware ? ', zone-aware' : ''}`;
  const lines = [
    table(head, rows, style),
    `${r.partitions} replica placements over ${r.hours} h (${r.buckets} time partitions, ${r.from} to ${r.to}; ${placement})`,
    `skew ${skewText(r.skew, r.under, r.threshold, c)}`,
  ];
  if (r.simulate) {
    const s = r.simulate;
    const ratio = s.ideal_share > 0 ? (s.moved_share / s.ideal_share).toFixed(2) : '-';
    lines.push(
      `simulated ${[...s.added.map((a) => `+${a}`), ...s.removed.map((x) => `-${x}`)].join(' ')}: ` +
        `${s.moved} placements move (${pct(s.moved_share)}; ideal ${pct(s.ideal_share)}, ${ratio}× ideal); ` +
        `skew after ${skewText(s.skew_after, s.under_after, r.threshold, c)}`,
    );
  }
  if (r.failure) lines.push(...failureLines(r.failure, c));
  return lines.join('\n');
}

function skewText(over: number, under: number, threshold: number, c: Palette): string {
  const bad = over > threshold;
  // `over` is below zero when a Down node holds placements: every Up node is then under its share.
  const most = `${over < 0 ? '−' : '+'}${pct(Math.abs(over))}`;
  return `${bad ? c.red(most) : c.green(most)} / −${pct(under)} (threshold ${pct(threshold)}${
    bad ? ', over: consider `otlpctl rebalance plan`' : ''
  })`;
}

function failureLines(f: FailureReport, c: Palette): string[] {
  const what = f.zone !== undefined ? `zone ${f.zone} (${f.nodes.join(', ')})` : f.nodes.join(', ');
  const count = (n: number) => (n > 0 ? c.red(String(n)) : c.green(String(n)));
  const per = (['traces', 'metrics', 'logs'] as const).map(
    (s) =>
      `  ${s.padEnd(8)} ${f.signals[s].partitions} partitions: ${count(f.signals[s].unavailable)} unavailable, ${count(f.signals[s].under_quorum)} under quorum`,
  );
  return [
    `if ${what} failed: ${count(f.unavailable)} of ${f.partitions} partitions unavailable (no Up replica), ${count(f.under_quorum)} under quorum (fewer than a majority Up)${f.stored ? `; ${f.stored} placed by stored metadata` : ''}`,
    ...per,
  ];
}
