import { skew } from '../ring-report.js';
import { finishPlan } from './checksum.js';
import { Cluster, DOWN, DRAINING, UNKNOWN, UP } from './cluster.js';
import { Greedy } from './greedy.js';
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
 * `by` over every replica; the skew is over Up nodes. A plan is made when the skew exceeds the
 * threshold or a Draining node holds Active partitions: it then empties Draining nodes and brings
 * every Up node to at most (1 + target) × the mean, Down nodes and non-Active partitions untouched.
 */
export function planRebalance(input: PlanInput, options: PlanOptions, meta: PlanMeta): RebalancePlan {
  const c = new Cluster(input, options.by);
  const before = c.load.slice();
  const up = c.ids.map((_, i) => i).filter((i) => c.kind[i] === UP);
  const draining = c.ids.map((_, i) => i).filter((i) => c.kind[i] === DRAINING);
  let drainLoad = 0;
  let drainBytes = 0;
  let drainCount = 0;
  for (const d of draining) {
    for (const p of c.byNode[d]!) {
      if (!c.active[p]) continue;
      drainLoad += c.weight(p, d);
      drainBytes += c.size[p]!;
      drainCount++;
    }
  }
  const upLoad = up.reduce((a, n) => a + before[n]!, 0);
  const mean = up.length ? (upLoad + drainLoad) / up.length : 0;
  const limit = (1 + options.target) * mean;
  const skewBefore = skew(up.map((n) => before[n]!));
  const notes = [...describeInput(c, input), ...(input.notes ?? [])];

  const triggered = up.length > 0 && (skewBefore > input.imbalance_threshold || drainCount > 0);
  const g = new Greedy(c, options, limit);
  if (up.length === 0) notes.unshift('no Up node to move data to: nothing planned');
  else if (!triggered)
    notes.unshift(
      `balanced: skew ${pct(skewBefore)} is within the threshold ${pct(input.imbalance_threshold)} and no Draining node holds data`,
    );
  else {
    notes.unshift(
      [
        skewBefore > input.imbalance_threshold
          ? `skew ${pct(skewBefore)} exceeds the threshold ${pct(input.imbalance_threshold)}`
          : '',
        drainCount ? `${drainCount} Active replica(s) on Draining nodes` : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
    g.run();
    notes.push(...describeOutcome(c, g, limit));
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
  const bounds = triggered ? lowerBounds(c, up, before, limit, drainLoad, drainBytes) : { load: 0, bytes: 0 };
  const loadMoved = g.steps.reduce((a, s) => a + (s.live ? s.w : 0), 0);
  return finishPlan({
    version: PLAN_VERSION,
    id: '',
    created_at: meta.created_at,
    prefix: meta.prefix,
    revision: meta.revision,
    config_hash: meta.config_hash,
    by: options.by,
    target: options.target,
    threshold: input.imbalance_threshold,
    moves,
    before: perNode(c.ids, before),
    after: perNode(c.ids, after),
    skew_before: round6(skewBefore),
    skew_after: round6(skew(up.map((n) => after[n]!))),
    bytes_moved: moves.reduce((a, m) => a + m.bytes, 0),
    lower_bound_bytes: Math.ceil(bounds.bytes),
    load_moved: options.by === 'partitions' ? loadMoved : Math.round(loadMoved),
    lower_bound_load: options.by === 'partitions' ? round3(bounds.load) : Math.ceil(bounds.load),
    notes,
  });
}

/**
 * What no plan can do without: each Up node's load above the limit, plus everything Active on
 * Draining nodes. In bytes: the same for `bytes`; for `partitions`, the smallest partitions that
 * bring each node's count down; for `leader-bytes`, only the Draining data (leadership moves are free).
 */
function lowerBounds(
  c: Cluster,
  up: number[],
  load: Float64Array,
  limit: number,
  drainLoad: number,
  drainBytes: number,
): { load: number; bytes: number } {
  let excess = 0;
  let bytes = drainBytes;
  for (const n of up) {
    const e = load[n]! - limit;
    if (e <= 1e-9) continue;
    excess += e;
    if (c.by === 'bytes') bytes += e;
    if (c.by === 'partitions') {
      const sizes = Array.from(c.byNode[n]!)
        .filter((p) => c.active[p])
        .map((p) => c.size[p]!);
      sizes.sort((a, b) => a - b);
      bytes += sizes.slice(0, Math.ceil(e - 1e-9)).reduce((a, s) => a + s, 0);
    }
  }
  return { load: excess + drainLoad, bytes };
}

function describeInput(c: Cluster, input: PlanInput): string[] {
  const notes: string[] = [];
  const inactive = input.partitions.filter((p) => p.state !== 'Active');
  if (inactive.length) {
    const states = [...new Set(inactive.map((p) => p.state))].sort().join(', ');
    notes.push(`${inactive.length} partition(s) not Active (${states}): left alone`);
  }
  const onDown = c.pids.filter((_, p) => c.replicas(p).some((n) => c.kind[n] === DOWN)).length;
  if (onDown)
    notes.push(
      `${onDown} partition(s) have replicas on Down nodes: they stay there (re-replication is failover's job, see 'otlpctl failover')`,
    );
  const unknown = c.ids.filter((_, i) => c.kind[i] === UNKNOWN);
  if (unknown.length)
    notes.push(`partitions name node(s) not in the store, left in place: ${unknown.slice(0, 5).join(', ')}`);
  return notes;
}

function describeOutcome(c: Cluster, g: Greedy, limit: number): string[] {
  const notes: string[] = [];
  if (g.capped) notes.push('stopped at the --max-moves/--max-bytes limit: the plan is partial');
  if (g.overfilled)
    notes.push(
      `${g.overfilled} drained replica(s) could keep their zones apart only on nodes at the limit, which then shed other partitions: bytes above the lower bound`,
    );
  if (g.zoneCompromises)
    notes.push(
      `${g.zoneCompromises} drained replica(s) share a zone with another replica: no other node could take them`,
    );
  if (g.undrainable.length)
    notes.push(
      `${g.undrainable.length} partition(s) cannot leave Draining nodes (every Up node already holds a replica): ${g.undrainable.slice(0, 5).join(', ')}`,
    );
  const above = c.order.filter((n) => g.excess(n) > 0);
  if (above.length)
    notes.push(
      `target not reached on ${above.length} node(s) (${above
        .slice(-3)
        .map((n) => `${c.ids[n]} at ${pct(c.load[n]! / limit - 1)} above the limit`)
        .join(', ')}): partitions too large, or no node outside their replica set and zones had room`,
    );
  return notes;
}

function perNode(ids: string[], load: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  ids.forEach((id, i) => (out[id] = load[i]!));
  return out;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const round3 = (x: number) => Math.round(x * 1e3) / 1e3;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
