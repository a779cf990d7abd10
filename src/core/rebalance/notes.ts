import { DOWN, UNKNOWN, type Cluster } from './cluster.js';
import type { Greedy } from './greedy.js';
import type { PlanInput } from './types.js';

/** What a plan says about its input and its outcome; every note on a Down node names the fix. */

export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const list = (xs: string[]) => xs.slice(0, 5).join(', ') + (xs.length > 5 ? ', …' : '');

export function describeInput(c: Cluster, input: PlanInput, replaced: readonly number[]): string[] {
  const notes: string[] = [];
  const inactive = input.partitions.filter((p) => p.state !== 'Active');
  if (inactive.length) {
    const states = [...new Set(inactive.map((p) => p.state))].sort().join(', ');
    notes.push(`${inactive.length} partition(s) not Active (${states}): left alone`);
  }
  const kept = c.ids
    .map((_, i) => i)
    .filter((i) => c.kind[i] === DOWN && !replaced.includes(i) && c.byNode[i]!.length > 0);
  const onKept = c.pids.filter((_, p) => c.replicas(p).some((n) => kept.includes(n))).length;
  if (onKept) {
    const names = kept.map((n) => c.ids[n]!);
    notes.push(
      `${onKept} partition(s) have replicas on Down node(s) ${list(names)}: they stay there, since a Down node may come back; if it will not, move them to Up nodes with 'otlpctl rebalance plan --replace-down ${names.slice(0, 5).join(' ')}'`,
    );
  }
  const stuck = c.pids.filter((_, p) => !c.active[p] && c.replicas(p).some((n) => replaced.includes(n)));
  if (stuck.length)
    notes.push(
      `${stuck.length} partition(s) on the replaced Down node(s) are not Active and stay there: finish or cancel their move ('otlpctl rebalance status'), then plan again (${list(stuck)})`,
    );
  const unknown = c.ids.filter((_, i) => c.kind[i] === UNKNOWN);
  if (unknown.length) notes.push(`partitions name node(s) not in the store, left in place: ${list(unknown)}`);
  return notes;
}

export function describeOutcome(c: Cluster, g: Greedy): string[] {
  const notes: string[] = [];
  if (g.capped) notes.push('stopped at the --max-moves/--max-bytes limit: the plan is partial');
  if (g.overfilled)
    notes.push(
      `${g.overfilled} evacuated replica(s) could keep their zones apart only on nodes at their limit, which then shed other partitions: bytes above the lower bound`,
    );
  if (g.zoneCompromises)
    notes.push(
      `${g.zoneCompromises} evacuated replica(s) share a zone with another replica: no other node could take them`,
    );
  if (g.orphaned)
    notes.push(
      `${g.orphaned} partition(s) had no Up replica: their new replicas have nothing to copy from (the data was only on Down nodes)`,
    );
  if (g.unmovable.length)
    notes.push(
      `${g.unmovable.length} partition(s) cannot leave the nodes being emptied (every Up node already holds a replica): ${list(g.unmovable)}`,
    );
  const outside = c.order.filter((n) => g.excess(n) > 0 || g.deficit(n) > 0);
  if (outside.length) {
    const where = outside
      .slice(0, 3)
      .map((n) => `${c.ids[n]} at ${pct(c.load[n]! / c.fair[n]!)} of its fair share`)
      .join(', ');
    notes.push(
      g.capped
        ? `${outside.length} node(s) remain outside the target band (${where}): raise the limit or plan again after applying`
        : `target not reached on ${outside.length} node(s) (${where}): partitions too large, or no node outside their replica set and zones had room`,
    );
  }
  return notes;
}
