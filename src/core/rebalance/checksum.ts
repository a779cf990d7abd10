import { xxh64 } from '../hash/xxh64.js';
import type { RebalancePlan } from './types.js';

/**
 * Canonical JSON (object keys sorted, no spaces) and its XXH64: the plan's checksum, the plan id's
 * suffix and the config hash. It catches edits and corruption of a plan file; it is not a signature.
 */

export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (!Array.isArray(value)) return `{${members(value as Record<string, unknown>).join(',')}}`;
  // Arrays of same-shaped objects (a plan's moves): the keys are sorted once, not per element.
  let shape: { keys: string[]; sorted: string[]; names: string[] } | undefined;
  const parts: string[] = [];
  for (const v of value) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      parts.push(canonicalJson(v ?? null));
      continue;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (!shape || keys.length !== shape.keys.length || keys.some((k, i) => k !== shape!.keys[i])) {
      const sorted = [...keys].sort();
      shape = { keys, sorted, names: sorted.map((k) => `${JSON.stringify(k)}:`) };
    }
    const out: string[] = [];
    shape.sorted.forEach((k, i) => {
      if (obj[k] !== undefined) out.push(shape!.names[i] + canonicalJson(obj[k]));
    });
    parts.push(`{${out.join(',')}}`);
  }
  return `[${parts.join(',')}]`;
}

/** `"key":value` for each defined member, keys in code-unit order (as Array.prototype.sort). */
function members(obj: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v !== undefined) out.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return out;
}

const encoder = new TextEncoder();

export function hashHex(text: string): string {
  return xxh64.hash(encoder.encode(text)).toString(16).padStart(16, '0');
}

/** `xxh64:<hex>` over the canonical JSON of the plan without its checksum. */
export function planChecksum(plan: Omit<RebalancePlan, 'checksum'> & { checksum?: unknown }): string {
  const { checksum: _, ...content } = plan;
  return `xxh64:${hashHex(canonicalJson(content))}`;
}

/** The configuration a plan was made under, every field (unknown ones too). */
export function configHash(config: object): string {
  return `xxh64:${hashHex(canonicalJson(config))}`;
}

/**
 * Gives a plan its id and checksum. The id is the creation time and a hash of what tells plans
 * apart (where, from which revision and config, how, and how much): two plans share an id only if
 * the deterministic planner made the same plan.
 */
export function finishPlan(body: Omit<RebalancePlan, 'checksum'>): RebalancePlan {
  const stamp = body.created_at.replace(/[-:]/g, '').replace(/\.\d+/, '');
  const { prefix, revision, config_hash, by, target, threshold, bytes_moved, load_moved } = body;
  const summary = [
    ...body.replace_down,
    prefix,
    revision,
    config_hash,
    by,
    target,
    threshold,
    body.moves.length,
    bytes_moved,
    load_moved,
  ];
  const id = `${stamp}-${hashHex(canonicalJson(summary)).slice(0, 8)}`;
  const plan = { ...body, id };
  // Field order as PRODUCT.md §9 lists it, extras before the checksum.
  return {
    version: plan.version,
    id: plan.id,
    created_at: plan.created_at,
    revision: plan.revision,
    config_hash: plan.config_hash,
    by: plan.by,
    target: plan.target,
    moves: plan.moves,
    before: plan.before,
    after: plan.after,
    skew_before: plan.skew_before,
    skew_after: plan.skew_after,
    bytes_moved: plan.bytes_moved,
    lower_bound_bytes: plan.lower_bound_bytes,
    under_before: plan.under_before,
    under_after: plan.under_after,
    fair: plan.fair,
    replace_down: plan.replace_down,
    prefix: plan.prefix,
    threshold: plan.threshold,
    load_moved: plan.load_moved,
    lower_bound_load: plan.lower_bound_load,
    notes: plan.notes,
    checksum: planChecksum(plan),
  };
}
