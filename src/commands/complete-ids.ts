import { ExitCode } from '../core/errors.js';
import { Metadata } from '../store/metadata.js';
import type { Context } from './context.js';

/**
 * `otlpctl __ids nodes|partitions WORD`: the ids a shell completes, read from the configured store.
 * Called on every Tab, so it must be silent: no store configured, an unreachable etcd, a
 * corrupt file — all print nothing and exit 0. The completion scripts pass short timeouts.
 */

// Enough to choose from; a shell asks before showing more than ~100 anyway.
const MAX_IDS = 500;

export async function completeIds(
  kind: 'nodes' | 'partitions',
  word: string,
  ctx: Context,
): Promise<ExitCode> {
  try {
    const md = new Metadata(await ctx.openStore(), ctx.layout);
    const prefix = kind === 'nodes' ? md.layout.nodesPrefix : md.layout.partitionsPrefix;
    const ids: string[] = [];
    outer: for await (const page of md.store.range(prefix + word, { pageSize: MAX_IDS })) {
      for (const kv of page) {
        ids.push(kv.key.slice(prefix.length));
        if (ids.length >= MAX_IDS) break outer;
      }
    }
    if (ids.length > 0) ctx.stdout.write(`${ids.join('\n')}\n`);
  } catch {
    // Silence is the contract here (see above).
  }
  return ExitCode.Ok;
}
