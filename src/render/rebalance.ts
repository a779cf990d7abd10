import type { ExecResult } from '../commands/rebalance-types.js';
import type { RebalancePlan } from '../core/rebalance/index.js';
import { fields, json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';
import { bytes } from './partitions.js';

/** Rebalance plans, runs, status and cancel: data in, text out. */

/** An apply, resume or cancel run: what the executor counted, with the plan and its outcome. */
export interface RunReport extends ExecResult {
  plan_id: string | null;
  status: string;
}

export interface StatusReport {
  plan_id: string;
  status: string;
  by: string;
  reason: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  lock: (Record<string, unknown> & { expires_at: string | null }) | null;
  partitions: {
    total: number;
    pending: number;
    migrating: number;
    done: number;
    skipped: number;
    reverted: number;
  };
  moves: number;
  bytes_total: number;
  bytes_done: number;
  migrating: string[];
  skipped: { partition_id: string; reason: string }[];
}

export interface CancelReport {
  plan_id: string;
  status: string;
  reverted: string[];
  conflicts: { partition_id: string; reason: string }[];
  /** Moves already completed: they stay (make a new plan to move them again). */
  done_kept: number;
}

const SHOWN = 40;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function renderPlan(plan: RebalancePlan, format: Format, style: Style): string {
  const moveRow = (m: RebalancePlan['moves'][number]) =>
    [m.partition_id, m.kind, m.from, m.to, m.bytes, m.leader_change, m.mod_revision] as const;
  switch (format) {
    case 'json':
      return json(plan);
    case 'ndjson':
      return ndjson(plan.moves);
    case 'tsv':
      return tsv(plan.moves.map((m) => moveRow(m).map(String)));
    case 'table': {
      const c = palette(style);
      const load = (n: number) => (plan.by === 'partitions' ? String(n) : bytes(n));
      const signed = (n: number) => (n > 0 ? `+${load(n)}` : n < 0 ? `-${load(-n)}` : '');
      const nodes = Object.keys(plan.before).sort();
      const vsFair = (n: string) => {
        const f = plan.fair[n];
        if (f === undefined) return '';
        if (f === 0) return (plan.after[n] ?? 0) > 0 ? 'no share' : '';
        const x = (plan.after[n] ?? 0) / f - 1;
        const text = `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
        return Math.abs(x) > plan.target + 1e-9 ? c.yellow(text) : text;
      };
      const out = [
        c.bold(`rebalance plan ${plan.id}`) +
          `  by ${plan.by} · target ±${pct(plan.target)} · threshold ±${pct(plan.threshold)} of each Up node's weighted fair share · store revision ${plan.revision}` +
          (plan.replace_down.length ? ` · replacing Down ${plan.replace_down.join(', ')}` : ''),
        table(
          ['NODE', 'BEFORE', 'AFTER', 'CHANGE', 'FAIR SHARE', 'AFTER VS FAIR'],
          nodes.map((n) => {
            const d = (plan.after[n] ?? 0) - (plan.before[n] ?? 0);
            const change = signed(d);
            return [
              n,
              load(plan.before[n] ?? 0),
              load(plan.after[n] ?? 0),
              d > 0 ? c.green(change) : c.yellow(change),
              plan.fair[n] === undefined ? '' : load(plan.fair[n]),
              vsFair(n),
            ];
          }),
          style,
        ),
      ];
      if (plan.moves.length) {
        out.push(
          table(
            ['PARTITION', 'MOVE', 'FROM', 'TO', 'BYTES', 'LEADER'],
            plan.moves
              .slice(0, SHOWN)
              .map((m) => [
                m.partition_id,
                m.kind,
                m.from,
                m.to,
                bytes(m.bytes),
                m.leader_change ? 'moves' : '',
              ]),
            style,
          ),
        );
        if (plan.moves.length > SHOWN)
          out.push(`… and ${plan.moves.length - SHOWN} more moves (all in the plan file, or -o json)`);
      }
      const ratio = (moved: number, bound: number) => (bound > 0 ? ` (${(moved / bound).toFixed(3)}×)` : '');
      // The lower bound in the unit of --by, beside what the plan moves in that unit.
      const moved =
        plan.by === 'bytes'
          ? `${bytes(plan.bytes_moved)} moved · lower bound ${bytes(plan.lower_bound_bytes)}${ratio(plan.bytes_moved, plan.lower_bound_bytes)}`
          : plan.by === 'leader-bytes'
            ? `${bytes(plan.load_moved)} of leadership moved · lower bound ${bytes(plan.lower_bound_load)}${ratio(plan.load_moved, plan.lower_bound_load)} · ${bytes(plan.bytes_moved)} of replicas copied`
            : `${plan.load_moved} replica(s) moved · lower bound ${plan.lower_bound_load}${ratio(plan.load_moved, plan.lower_bound_load)} · ${bytes(plan.bytes_moved)} copied`;
      out.push(
        `skew ${pct(plan.skew_before)} → ${pct(plan.skew_after)} · emptiest −${pct(plan.under_before)} → −${pct(plan.under_after)} · ${plan.moves.length} move(s) · ${moved}`,
      );
      for (const n of plan.notes) out.push(c.yellow(`note: ${n}`));
      return out.join('\n');
    }
  }
}

export function renderRun(r: RunReport, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(r);
    case 'ndjson':
      return ndjson([r]);
    case 'tsv':
      return tsv([
        [
          r.plan_id,
          r.status,
          r.partitions,
          r.done,
          r.skipped.length,
          r.failed.length,
          r.migrating.length,
          r.not_started,
          r.bytes_done,
        ],
      ]);
    case 'table': {
      const c = palette(style);
      if (r.plan_id === null) return 'no rebalance to run';
      const lines = [
        `plan ${r.plan_id}: ${c.bold(r.status)} · ${r.done} of ${r.partitions} partition(s) moved (${bytes(r.bytes_done)})` +
          [
            r.skipped.length && ` · ${r.skipped.length} skipped`,
            r.failed.length && ` · ${r.failed.length} failed`,
            r.migrating.length && ` · ${r.migrating.length} left Migrating`,
            r.not_started && ` · ${r.not_started} not started`,
            r.unknown.length && ` · ${r.unknown.length} outcome unknown (resume settles them)`,
          ]
            .filter(Boolean)
            .join(''),
      ];
      for (const s of r.skipped.slice(0, SHOWN))
        lines.push(c.yellow(`skipped ${s.partition_id}: ${s.reason}`));
      for (const f of r.failed.slice(0, SHOWN)) lines.push(c.red(`failed ${f.partition_id}: ${f.error}`));
      return lines.join('\n');
    }
  }
}

export function renderStatus(r: StatusReport | null, format: Format, style: Style): string {
  if (format === 'json') return json(r ?? { plan_id: null, status: 'none' });
  if (format === 'ndjson') return ndjson([r ?? { plan_id: null, status: 'none' }]);
  if (!r) return format === 'tsv' ? '' : 'no rebalance plan in the store';
  const p = r.partitions;
  if (format === 'tsv')
    return tsv([
      [
        r.plan_id,
        r.status,
        p.total,
        p.pending,
        p.migrating,
        p.done,
        p.skipped,
        p.reverted,
        r.bytes_done,
        r.bytes_total,
      ],
    ]);
  const c = palette(style);
  const lock = r.lock
    ? `held by ${String(r.lock.holder ?? 'another process')} (pid ${String(r.lock.pid ?? '?')})${r.lock.expires_at ? `, lease until ${r.lock.expires_at}` : ''}`
    : 'free';
  const out = [
    fields(
      [
        ['plan', r.plan_id],
        ['status', r.status],
        [
          'progress',
          `${p.done} done · ${p.migrating} Migrating · ${p.pending} pending · ${p.skipped} skipped · ${p.reverted} reverted (of ${p.total} partitions, ${r.moves} moves)`,
        ],
        ['bytes', `${bytes(r.bytes_done)} of ${bytes(r.bytes_total)}`],
        ['lock', lock],
        ['run by', r.by + (r.reason ? ` — ${r.reason}` : '')],
        ['started', r.started_at],
        ['updated', r.updated_at],
        ...(r.finished_at ? ([['finished', r.finished_at]] as const) : []),
      ],
      style,
    ),
  ];
  if (r.migrating.length)
    out.push(
      c.yellow(`Migrating: ${r.migrating.slice(0, 10).join(', ')}${r.migrating.length > 10 ? ', …' : ''}`),
    );
  for (const s of r.skipped.slice(0, 10)) out.push(c.yellow(`skipped ${s.partition_id}: ${s.reason}`));
  if (r.status === 'interrupted' || r.status === 'failed')
    out.push(`next: otlpctl rebalance resume ${r.plan_id}   (or: otlpctl rebalance cancel ${r.plan_id})`);
  return out.join('\n');
}

export function renderCancel(r: CancelReport | null, format: Format, style: Style): string {
  if (format === 'json') return json(r ?? { plan_id: null, status: 'none' });
  if (format === 'ndjson') return ndjson([r ?? { plan_id: null, status: 'none' }]);
  if (!r) return format === 'tsv' ? '' : 'nothing to cancel';
  if (format === 'tsv')
    return tsv([[r.plan_id, r.status, r.reverted.length, r.conflicts.length, r.done_kept]]);
  const c = palette(style);
  const lines = [
    `plan ${r.plan_id}: ${c.bold(r.status)} · ${r.reverted.length} Migrating partition(s) returned to their previous placement · ${r.done_kept} completed move(s) kept`,
  ];
  for (const x of r.conflicts) lines.push(c.yellow(`left as found ${x.partition_id}: ${x.reason}`));
  return lines.join('\n');
}

export function progressLine(
  r: RunReport | Omit<RunReport, 'plan_id' | 'status'>,
  plan: RebalancePlan,
): string {
  const finished = r.done + r.skipped.length + r.failed.length;
  return `rebalance ${plan.id}: ${finished}/${r.partitions} partitions · ${bytes(r.bytes_done)} of ${bytes(plan.bytes_moved)}${r.skipped.length ? ` · ${r.skipped.length} skipped` : ''}`;
}
