import type { HeldLock } from '../store/lock.js';
import type { Metadata } from '../store/metadata.js';

/**
 * `rebalance auto --replace-down-after DUR`: how long each node has been Down. A node record says
 * its state, not since when, so the active instance notes when it first saw each node Down (with
 * the record's mod revision: a node that came back and went Down again starts over) in
 * `<prefix>/rebalance/auto/down-since`, written under the lock so a standby that takes over keeps
 * counting. Time is counted from the first sighting, never earlier: a replacement can only come late.
 */

export type DownSince = Map<string, { since: number; mod_revision: number }>;

interface Stored {
  nodes: Record<string, { since: string; mod_revision: number }>;
}

export async function downLongEnough(
  md: Metadata,
  lock: HeldLock | undefined,
  afterMs: number,
  memory: DownSince,
  clock: () => number,
): Promise<string[]> {
  const key = `${md.layout.rebalancePrefix}auto/down-since`;
  const kv = await md.store.get(key);
  const stored = new Map<string, { since: number; mod_revision: number }>();
  try {
    const value = kv ? (JSON.parse(kv.value) as Stored) : { nodes: {} };
    for (const [id, d] of Object.entries(value.nodes ?? {}))
      if (Number.isFinite(Date.parse(d.since)) && Number.isInteger(d.mod_revision))
        stored.set(id, { since: Date.parse(d.since), mod_revision: d.mod_revision });
  } catch {
    // Unreadable: counted again from now (late, never early).
  }
  const now = clock();
  const next: DownSince = new Map();
  for (const n of await md.nodes()) {
    if (n.record.state !== 'Down') continue;
    const id = n.record.node_id;
    const seen = [stored.get(id), memory.get(id)].find((d) => d?.mod_revision === n.modRevision);
    next.set(id, seen ?? { since: now, mod_revision: n.modRevision });
  }
  memory.clear();
  for (const [id, d] of next) memory.set(id, d);
  const changed =
    next.size !== stored.size ||
    [...next].some(
      ([id, d]) => stored.get(id)?.since !== d.since || stored.get(id)?.mod_revision !== d.mod_revision,
    );
  if (lock && changed) {
    const nodes: Stored['nodes'] = {};
    // Milliseconds: whole seconds would make the next round's reading up to a second early.
    for (const [id, d] of next)
      nodes[id] = { since: new Date(d.since).toISOString(), mod_revision: d.mod_revision };
    // Lost to a concurrent write: the memory copy counts on, the next round writes again.
    await md.store.txn(
      [lock.ownership, { key, target: 'mod', modRevision: kv?.modRevision ?? 0 }],
      [{ type: 'put', key, value: JSON.stringify({ nodes }) }],
    );
  }
  return [...next].filter(([, d]) => now - d.since >= afterMs).map(([id]) => id);
}
