import { xxh64 } from '../hash/xxh64.js';
import type { RebalancePlan } from './types.js';

/**
 * Canonical JSON (object keys sorted, no spaces) and its XXH64: the plan's checksum, the plan id's
 * suffix and the config hash. It catches edits and corruption of a plan file; it is not a signature.
 */

export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) out += `${i ? ',' : ''}${canonicalJson(value[i] ?? null)}`;
    return `${out}]`;
  }
  return `{${members(value as Record<string, unknown>).join(',')}}`;
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

/** Gives a plan its id (creation time + content hash, so two plans never share one) and checksum. */
export function finishPlan(body: Omit<RebalancePlan, 'checksum'>): RebalancePlan {
  const stamp = body.created_at.replace(/[-:]/g, '').replace(/\.\d+/, '');
  // Serialized once: the id hashes the content without an id, the checksum the content with it.
  const parts = members({ ...body, id: '\0' });
  const at = parts.indexOf('"id":"\\u0000"');
  const id = `${stamp}-${hashHex(`{${parts.filter((_, i) => i !== at).join(',')}}`).slice(0, 8)}`;
  parts[at] = `"id":${JSON.stringify(id)}`;
  const plan = { ...body, id };
  const checksum = `xxh64:${hashHex(`{${parts.join(',')}}`)}`;
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
    checksum,
  };
}
