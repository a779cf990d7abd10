import { json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';

export interface FailoverReport {
  node: string;
  dry_run: boolean;
  marked_down: boolean;
  moved: { partition_id: string; from: string; to: string }[];
  skipped: { partition_id: string; reason: string }[];
  /** Partitions it led with no Up replica left to take over. */
  unavailable: string[];
  /** Partitions whose move was sent without an answer and not read back since: moved or not. */
  outcome_unknown: string[];
  /** Why it stopped before the end (a re-run finishes), if it did. */
  stopped: 'interrupted' | 'store unavailable' | null;
}

export function renderFailover(r: FailoverReport, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(r);
    case 'ndjson':
      return ndjson(r.moved);
    case 'tsv':
      return tsv(r.moved.map((m) => [m.partition_id, m.from, m.to]));
    case 'table': {
      const c = palette(style);
      const perTarget = new Map<string, number>();
      for (const m of r.moved) perTarget.set(m.to, (perTarget.get(m.to) ?? 0) + 1);
      const lines = [
        `${r.dry_run ? 'dry run: would move' : 'moved'} leadership of ${r.moved.length} partition(s) off ${r.node}${r.marked_down ? ` (now ${c.red('Down')})` : ''}`,
      ];
      if (perTarget.size) lines.push(table(['NEW LEADER', 'PARTITIONS'], [...perTarget].sort(), style));
      for (const s of r.skipped) lines.push(c.yellow(`skipped ${s.partition_id}: ${s.reason}`));
      if (r.outcome_unknown.length)
        lines.push(
          c.red(
            `${r.outcome_unknown.length} move(s) sent without an answer: outcome unknown (e.g. ${r.outcome_unknown.slice(0, 5).join(', ')}); run failover again to settle them`,
          ),
        );
      if (r.stopped) lines.push(c.red(`stopped (${r.stopped}) before the end; run failover again`));
      if (r.unavailable.length) {
        lines.push(
          c.red(
            `${r.unavailable.length} partition(s) have no Up replica left, e.g. ${r.unavailable.slice(0, 5).join(', ')}`,
          ),
        );
      }
      // Failover moves leadership only: say what re-creates the replicas the Down node holds.
      lines.push(
        `${r.node}'s replicas stay on it (it may come back); if it will not: otlpctl rebalance plan --replace-down ${r.node} --out plan.json`,
      );
      return lines.join('\n');
    }
  }
}
