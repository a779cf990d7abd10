import { xxh64 } from '../hash/xxh64.js';
import type { RebalancePlan } from './types.js';

/**
 * Canonical JSON (object keys sorted, no spaces) and its XXH64: the plan's checksum, the plan id's
 * suffix and the config hash. It catches edits and corruption of a plan file; it is not a signature.
 */

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
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

/** Gives a plan its id (creation time + content hash, so two plans never share one) and checksum. */
export function finishPlan(body: Omit<RebalancePlan, 'checksum'>): RebalancePlan {
  const stamp = body.created_at.replace(/[-:]/g, '').replace(/\.\d+/, '');
  const id = `${stamp}-${hashHex(canonicalJson({ ...body, id: undefined })).slice(0, 8)}`;
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
    prefix: plan.prefix,
    threshold: plan.threshold,
    load_moved: plan.load_moved,
    lower_bound_load: plan.lower_bound_load,
    notes: plan.notes,
    checksum: planChecksum(plan),
  };
}
