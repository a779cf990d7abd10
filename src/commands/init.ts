import { CONFIG_FIELDS, DEFAULT_CONFIG, parseConfig, type ClusterConfig } from '../core/config.js';
import { ExitCode, PreconditionError } from '../core/errors.js';
import { renderConfig } from '../render/config.js';
import { openMetadata, print, type Context } from './context.js';

export interface InitOptions extends Partial<ClusterConfig> {
  force: boolean;
}

/** Writes `<prefix>/config`; refuses to overwrite unless --force (which keeps unknown fields). */
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
  if (existing) await md.update(existing, config);
  else await md.create(md.layout.config, config);
  print(ctx, renderConfig(config, ctx.format, ctx));
  return ExitCode.Ok;
}
