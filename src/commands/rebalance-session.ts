import { createInterface } from 'node:readline';
import { OtlpctlError, StoreUnavailableError, UsageError, type ExitCode } from '../core/errors.js';
import type { RebalancePlan } from '../core/rebalance/index.js';
import { renderPlan } from '../render/rebalance.js';
import { writeAudit } from '../store/audit.js';
import { acquireLock, currentHolder, waitForLock, type HeldLock } from '../store/lock.js';
import type { Metadata } from '../store/metadata.js';
import type { Context } from './context.js';
import { RebalanceStore } from './rebalance-journal.js';

/** What apply, resume and cancel share: the lock, the audit record, the question, Ctrl-C. */

export const DEFAULT_LOCK_TTL = 15;

export async function underLock(
  md: Metadata,
  ctx: Context,
  command: string,
  opts: { lockTtl?: number; waitMs?: number },
  fn: (lock: HeldLock, rs: RebalanceStore) => Promise<ExitCode>,
): Promise<ExitCode> {
  const key = md.layout.lock('rebalance');
  const holder = currentHolder(command, ctx.clock);
  const ttl = opts.lockTtl ?? DEFAULT_LOCK_TTL;
  // --wait: queue behind the holder (a manual run, or `rebalance auto` until it is stopped).
  const lock =
    opts.waitMs === undefined
      ? await acquireLock(md.store, key, holder, ttl, { clock: ctx.clock })
      : await waitForLock(md.store, key, holder, ttl, {
          clock: ctx.clock,
          timeoutMs: opts.waitMs,
          signal: ctx.interrupt,
        });
  try {
    return await fn(lock, new RebalanceStore(md));
  } catch (e) {
    // A store that stopped answering would only make a revoke wait out its timeout: abandon the
    // lock instead (release is then a no-op), and its lease lapses by its TTL.
    if (e instanceof StoreUnavailableError) lock.abandon();
    throw e;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

export async function audit(
  md: Metadata,
  mode: string,
  reason: string | undefined,
  result: 'ok' | 'partial' | 'failed' | 'interrupted',
  details: Record<string, unknown>,
  ctx: Context,
): Promise<void> {
  await writeAudit(
    md,
    { command: `rebalance ${mode}`, ...(reason !== undefined && { reason }), result, details },
    ctx.clock,
  );
}

export const holderName = (lock: HeldLock) => `${lock.holder.holder} (pid ${lock.holder.pid})`;

/** On a terminal without --yes: show the plan and ask. Elsewhere --yes is required. */
export async function confirm(plan: RebalancePlan, yes: boolean, ctx: Context): Promise<void> {
  if (yes) return;
  if (!ctx.interactive)
    throw new UsageError('rebalance apply: stdout is not a terminal; pass --yes to apply without asking');
  ctx.stderr.write(`${renderPlan(plan, 'table', ctx)}\n`);
  ctx.stderr.write(`apply plan ${plan.id} (${plan.moves.length} moves) to the cluster? (y/N) `);
  const rl = createInterface({ input: ctx.stdin, terminal: false });
  let answer = '';
  for await (const line of rl) {
    answer = line;
    break;
  }
  rl.close();
  if (!/^\s*y(es)?\s*$/i.test(answer))
    throw new OtlpctlError('rebalance apply: not confirmed; nothing was changed');
}
