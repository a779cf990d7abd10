import type { AuditResult } from '../core/model.js';
import { randomHex } from './random.js';
import { currentHolder } from './lock.js';
import type { Metadata } from './metadata.js';

/**
 * Audit records (`<prefix>/audit/<time>-<random>`): who ran what, when, why, with what result.
 * Keys sort by time, so `etcdctl get --prefix /otlp/audit/` reads as a log.
 */
export interface AuditEntry {
  command: string;
  reason?: string;
  result: AuditResult;
  /** Command-specific summary: counts, plan id, … */
  details?: Record<string, unknown>;
}

export async function writeAudit(md: Metadata, entry: AuditEntry, clock: () => number): Promise<string> {
  const at = new Date(clock()).toISOString();
  const who = currentHolder(entry.command, clock);
  const key = `${md.layout.auditPrefix}${at}-${randomHex(4)}`;
  await md.create(key, { at, user: who.holder, host: who.host, pid: who.pid, ...entry });
  return key;
}

/**
 * `writeAudit` after the work is done and reported: a store lost at this last write costs a
 * warning (through `md.warn`), not the command's summary or exit code.
 */
export async function writeAuditOrWarn(md: Metadata, entry: AuditEntry, clock: () => number): Promise<void> {
  await writeAudit(md, entry, clock).catch((err: unknown) =>
    md.warn(`${entry.command}: no audit record written: ${err instanceof Error ? err.message : String(err)}`),
  );
}
