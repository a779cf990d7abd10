import { CONFIG_FIELDS, DEFAULT_CONFIG, parseConfig, type ClusterConfig } from '../core/config.js';
import { ExitCode, GuardError, PreconditionError } from '../core/errors.js';
import { countRemapped, remapChanges } from '../core/remap.js';
import { renderConfig } from '../render/config.js';
import { writeAuditOrWarn } from '../store/audit.js';
import type { Metadata } from '../store/metadata.js';
import { note, openMetadata, print, type Context } from './context.js';

export interface InitOptions extends Partial<ClusterConfig> {
  force: boolean;
  /** Let `--force` change a field that re-maps the partitions already stored. */
  allowRemap?: boolean;
}

/**
 * Writes `<prefix>/config`; refuses to overwrite unless --force (which keeps unknown fields). On a
 * store that holds partitions, a change that re-maps them (core/remap.ts) is refused (exit 5,
 * nothing written) with the number of partitions it would move, unless --allow-remap. Each run
 * leaves an audit record: the fields changed (before, after) and the partitions re-mapped.
 */
export async function init(opts: InitOptions, ctx: Context): Promise<ExitCode> {
  const given: Partial<ClusterConfig> = {};
  for (const f of CONFIG_FIELDS) if (opts[f] !== undefined) Object.assign(given, { [f]: opts[f] });
  const md = await openMetadata(ctx);
  const existing = await md.config();
  if (existing && !opts.force) {
    throw new PreconditionError(
      `${existing.key} already exists in ${md.store.description}; pass --force to change it (fields not given stay as they are)`,
    );
  }
  const config = parseConfig({ ...(existing?.raw ?? DEFAULT_CONFIG), ...given }, 'init');
  let remapped = 0;
  if (existing) {
    const changes = remapChanges(existing.raw as Record<string, unknown>, config);
    if (changes.length)
      remapped = await guardRemap(md, existing.record, config, changes, opts.allowRemap === true, ctx);
    await md.update(existing, config);
  } else await md.create(md.layout.config, config);
  print(ctx, renderConfig(config, ctx.format, ctx));
  // A changed configuration can move where data lives: the audit log says who changed what.
  const details = existing ? { changed: changedFields(existing.raw, config), remapped } : { created: true };
  await writeAuditOrWarn(md, { command: 'init', result: 'ok', details }, ctx.clock);
  return ExitCode.Ok;
}

/** Each configuration field that differs, as [before, after]. */
function changedFields(
  before: Record<string, unknown>,
  after: ClusterConfig,
): Record<string, [unknown, unknown]> {
  const changed: Record<string, [unknown, unknown]> = {};
  for (const f of CONFIG_FIELDS)
    if (JSON.stringify(before[f]) !== JSON.stringify(after[f])) changed[f] = [before[f], after[f]];
  return changed;
}

async function guardRemap(
  md: Metadata,
  before: ClusterConfig,
  after: ClusterConfig,
  changes: { field: string; from: unknown; to: unknown }[],
  allowed: boolean,
  ctx: Context,
): Promise<number> {
  const ids: string[] = [];
  const prefix = md.layout.partitionsPrefix;
  for await (const page of md.store.range(prefix))
    for (const kv of page) ids.push(kv.key.slice(prefix.length));
  if (ids.length === 0) return 0;
  const nodes = (await md.nodes()).map((n) => n.record);
  const moved = countRemapped(before, after, nodes, ids);
  if (moved === 0) return 0;
  const what = changes
    .map((c) => `${c.field} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)
    .join(', ');
  const effect = `${moved} of ${ids.length} stored partition(s) would change placement`;
  if (!allowed)
    throw new GuardError(
      `init --force: ${what} re-maps the cluster: ${effect}; nothing changed (pass --allow-remap to do it anyway)`,
    );
  note(ctx, `${what}: ${effect} (--allow-remap)`);
  return moved;
}
