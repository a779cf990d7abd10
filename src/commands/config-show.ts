import { ExitCode } from '../core/errors.js';
import { renderStoredConfig } from '../render/config.js';
import { openMetadata, print, type Context } from './context.js';

/** `config show`: the cluster configuration as stored (unknown fields too), checked as every command reads it. */
export async function configShow(ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const config = await md.requireConfig();
  const kv = await md.store.get(md.layout.config);
  const stored = kv ? (JSON.parse(kv.value) as Record<string, unknown>) : {};
  print(ctx, renderStoredConfig(stored, config, ctx.format, ctx));
  return ExitCode.Ok;
}
