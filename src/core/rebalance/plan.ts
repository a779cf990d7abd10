import { balance } from '../fair-share.js';
import { lowerBounds } from './bounds.js';
import { finishPlan } from './checksum.js';
import { Cluster, DOWN, DRAINING, UP } from './cluster.js';
import { Greedy } from './greedy.js';
import { describeInput, describeOutcome, pct } from './notes.js';
import {
  PLAN_VERSION,
  type PlanInput,
  type PlanMeta,
  type PlanOptions,
  type RebalanceMove,
  type RebalancePlan,
} from './types.js';

/**
 * `planRebalance`: pure and deterministic (ties break by id). Loads are counted in the unit of
 * `by` over every replica; a node's fair share is the load's total times its weight's share of
 * the Up nodes' weights (PRODUCT.md §5). A plan is made when an Up node is above `(1 + threshold)`
 * or below `(1 − threshold)` of its fair share, a Draining node holds Active partitions, or a Down
 * node being replaced (`replaceDown`) holds any: it then empties those nodes and brings every Up
 * node within `(1 ± target) · fair`. Other Down nodes and non-Active partitions stay untouched.
 */
export function planRebalance(input: PlanInput, options: PlanOptions, meta: PlanMeta): RebalancePlan {
  const c = new Cluster(input, options.by);
  const before = c.load.slice();
  const all = c.ids.map((_, i) => i);
  const up = all.filter((i) => c.kind[i] === UP);
  const named = options.replaceDown === true ? undefined : new Set(options.replaceDown ?? []);
  const replaced = options.replaceDown
    ? all.filter((i) => c.kind[i] === DOWN && (!named || named.has(c.ids[i]!)))
    : [];
  const evacuate = [...all.filter((i) => c.kind[i] === DRAINING), ...replaced];
  const evacuated = { load: 0, bytes: 0, count: 0 };
  for (const d of evacuate) {
    for (const p of c.byNode[d]!) {
      if (!c.active[p]) continue;
      // With leader-bytes, a Down leader's load lands on the Up replica it hands leadership to.
      evacuated.load += c.weight(p, d);
      evacuated.bytes += c.size[p]!;
      evacuated.count++;
    }
  }
  const upLoad = up.reduce((a, n) => a + before[n]!, 0);
  c.band(upLoad + evacuated.load, options.target);
  const weights = up.map((n) => c.nodeWeight[n]!);
  const start = balance(
    up.map((n) => before[n]!),
    weights,
  );
  const th = input.imbalance_threshold;
  const outside = up.filter((n) =>
    c.fair[n]! > 0
      ? before[n]! > (1 + th) * c.fair[n]! + 1e-9 || before[n]! < (1 - th) * c.fair[n]! - 1e-9
      : before[n]! > 0,
  );
  const notes = [...describeInput(c, input, replaced), ...(input.notes ?? [])];
  const triggered = up.length > 0 && (outside.length > 0 || evacuated.count > 0);
  const g = new Greedy(c, options);
  if (up.length === 0) notes.unshift('no Up node to move data to: nothing planned');
  else if (!triggered)
    notes.unshift(
      `balanced: every Up node is within ${pct(th)} of its fair share (skew ${pct(start.skew)}, under ${pct(start.under)}) and no node to empty holds data`,
    );
  else {
    notes.unshift(triggerNote(c, outside, before, th, evacuated.count, replaced.length > 0));
    g.run(evacuate);
    notes.push(...describeOutcome(c, g));
  }

  const moves: RebalanceMove[] = g.steps
    .filter((s) => s.live)
    .map((s) => ({
      partition_id: c.pids[s.p]!,
      kind: s.kind,
      from: c.ids[s.from]!,
      to: c.ids[s.to]!,
      bytes: s.bytes,
      leader_change: s.leaderChange,
      mod_revision: c.modRevision[s.p]!,
    }));
  const after = c.computeLoads();
  const end = balance(
    up.map((n) => after[n]!),
    weights,
  );
  const bounds = triggered ? lowerBounds(c, up, before, evacuated) : { load: 0, bytes: 0 };
  const loadMoved = g.steps.reduce((a, s) => a + (s.live ? s.w : 0), 0);
  const fair: Record<string, number> = {};
  for (const n of up) fair[c.ids[n]!] = round3(c.fair[n]!);
  return finishPlan({
    version: PLAN_VERSION,
    id: '',
    created_at: meta.created_at,
    prefix: meta.prefix,
    revision: meta.revision,
    config_hash: meta.config_hash,
    by: options.by,
    target: options.target,
    threshold: th,
    moves,
    before: perNode(c.ids, before),
    after: perNode(c.ids, after),
    skew_before: round6(start.skew),
    skew_after: round6(end.skew),
    under_before: round6(start.under),
    under_after: round6(end.under),
    fair,
    replace_down: replaced.map((n) => c.ids[n]!),
    bytes_moved: moves.reduce((a, m) => a + m.bytes, 0),
    lower_bound_bytes: Math.ceil(bounds.bytes),
    load_moved: options.by === 'partitions' ? loadMoved : Math.round(loadMoved),
    lower_bound_load: options.by === 'partitions' ? round3(bounds.load) : Math.ceil(bounds.load),
    notes,
  });
}

function triggerNote(
  c: Cluster,
  outside: number[],
  load: Float64Array,
  th: number,
  evacuated: number,
  replacing: boolean,
): string {
  const share = (n: number) => (c.fair[n]! > 0 ? load[n]! / c.fair[n]! : Infinity);
  const over = outside.filter((n) => share(n) > 1).sort((a, b) => share(b) - share(a) || a - b);
  const under = outside.filter((n) => share(n) <= 1).sort((a, b) => share(a) - share(b) || a - b);
  const show = (ns: number[]) =>
    ns
      .slice(0, 3)
      .map((n) => `${c.ids[n]} at ${Number.isFinite(share(n)) ? pct(share(n)) : 'no share'}`)
      .join(', ') + (ns.length > 3 ? ', …' : '');
  return [
    over.length ? `${over.length} node(s) above ${pct(1 + th)} of their fair share (${show(over)})` : '',
    under.length ? `${under.length} node(s) below ${pct(1 - th)} of their fair share (${show(under)})` : '',
    evacuated
      ? `${evacuated} Active replica(s) on ${replacing ? 'Draining or replaced Down' : 'Draining'} nodes`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
}

function perNode(ids: string[], load: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  ids.forEach((id, i) => (out[id] = load[i]!));
  return out;
}

// `+ 0`: no -0 in the JSON.
const round6 = (x: number) => Math.round(x * 1e6) / 1e6 + 0;
const round3 = (x: number) => Math.round(x * 1e3) / 1e3;
