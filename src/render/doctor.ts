import type { Check, Finding } from '../core/doctor.js';
import { json, ndjson, palette, tsv, type Format, type Style } from './output.js';

export interface DoctorReport {
  ok: boolean;
  checked: number;
  counts: Partial<Record<Check, number>>;
  /** Every finding counted, in store order. */
  findings: Finding[];
  /** The kinds `--check` kept, or null for all. */
  only: Check[] | null;
}

/** Findings shown per group in the table; the rest are counted and pointed at. */
export const SHOWN_PER_GROUP = 10;

/** One cause, and for node findings one node: what an operator fixes with one command. */
export interface FindingGroup {
  check: Check;
  node?: string;
  count: number;
  /** node-down: how many of the partitions the Down node leads. */
  led: number;
  shown: Finding[];
}

export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    const k = f.node === undefined ? f.check : `${f.check}\u0000${f.node}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { check: f.check, node: f.node, count: 0, led: 0, shown: [] }));
    g.count++;
    if (f.leader) g.led++;
    if (g.shown.length < SHOWN_PER_GROUP) g.shown.push(f);
  }
  // The biggest problems first; ties in a stable, readable order.
  return [...groups.values()].sort(
    (a, b) =>
      b.count - a.count || a.check.localeCompare(b.check) || (a.node ?? '').localeCompare(b.node ?? ''),
  );
}

const n = (x: number) => x.toLocaleString('en-US');
const partitions = (x: number) => `${n(x)} partition${x === 1 ? '' : 's'}`;

function headline(g: FindingGroup): string {
  switch (g.check) {
    case 'node-down':
      return `${g.node} Down: ${partitions(g.count)}, ${n(g.led)} of them led`;
    case 'unknown-node':
      return `${g.node} is not a registered node: ${partitions(g.count)} name it`;
    case 'unparsable':
      return `unparsable: ${n(g.count)} stored value${g.count === 1 ? '' : 's'}`;
    default:
      return `${g.check}: ${partitions(g.count)}`;
  }
}

/** What fixes a group: the command, where there is one. */
function remedy(g: FindingGroup): string[] {
  switch (g.check) {
    case 'node-down':
      return [
        `move its replicas: otlpctl rebalance plan --replace-down ${g.node}`,
        ...(g.led > 0 ? [`move leadership:   otlpctl failover ${g.node}`] : []),
      ];
    case 'unknown-node':
      return [
        `register it (otlpctl nodes add ${g.node} --state Down), then otlpctl rebalance plan --replace-down ${g.node}`,
      ];
    case 'stuck-migrating':
      return ['otlpctl rebalance status, then rebalance resume or rebalance cancel'];
    case 'leader-not-replica':
    case 'under-replicated':
    case 'duplicate-replica':
      return ['otlpctl partitions register PARTITION --nodes a,b,c [--leader a]'];
    case 'unparsable':
    case 'bad-id':
      return ['not a record this cluster can use: repair or delete the key (etcdctl put / etcdctl del)'];
    case 'size-out-of-range':
      return [];
  }
}

function table(r: DoctorReport, style: Style): string {
  const c = palette(style);
  const only = r.only ? ` (only ${r.only.join(', ')} checked)` : '';
  if (r.ok) return c.green(`ok: ${n(r.checked)} partitions checked, nothing wrong${only}`);
  const lines: string[] = [];
  for (const g of groupFindings(r.findings)) {
    lines.push(c.red(headline(g)));
    for (const fix of remedy(g)) lines.push(`  ${fix}`);
    const width = Math.max(...g.shown.map((f) => f.subject.length));
    for (const f of g.shown) {
      // A store error already names its key, which is the subject column.
      const detail = f.detail.startsWith(`${f.subject}: `) ? f.detail.slice(f.subject.length + 2) : f.detail;
      lines.push(`  ${f.subject.padEnd(width)}  ${detail}`);
    }
    if (g.count > g.shown.length) {
      lines.push(
        `  … ${n(g.count - g.shown.length)} more not shown; all: otlpctl doctor --check ${g.check} -o tsv`,
      );
    }
  }
  const summary = Object.entries(r.counts)
    .map(([k, x]) => `${k} ${n(x)}`)
    .join(', ');
  lines.push(c.red(`problems in ${n(r.checked)} partitions checked${only}: ${summary}`));
  return lines.join('\n');
}

export function renderDoctor(r: DoctorReport, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(r);
    case 'ndjson':
      return ndjson(r.findings);
    case 'tsv':
      return tsv(r.findings.map((f) => [f.check, f.subject, f.node, f.detail]));
    case 'table':
      return table(r, style);
  }
}
