import { ExitCode } from '../core/errors.js';
import { formatTime } from '../core/time.js';
import { parseDuration, parseTime } from '../core/time-input.js';
import { renderAudit, type AuditRecord } from '../render/audit.js';
import { AUDIT_RESULTS, type AuditResult } from '../core/model.js';
import { openMetadata, print, warn, type Context } from './context.js';

/** `audit list`: the `<prefix>/audit/` log — who ran what, when, why, with what result. */

export interface AuditListOptions {
  /** A duration back from now (`24h`), or a time (`2026-11-27T00:00:00Z`, `now-2h`). */
  since?: string;
  /** `rebalance` matches `rebalance apply`, `rebalance resume`, …; `expire` only `expire`. */
  command?: string;
  result?: AuditResult;
}

export async function auditList(opts: AuditListOptions, ctx: Context): Promise<ExitCode> {
  const now = ctx.clock();
  const since = opts.since === undefined ? undefined : sinceMs(opts.since, now);
  const md = await openMetadata(ctx);
  const prefix = md.layout.auditPrefix;
  // Keys are `<prefix><at>-<random>` with `at` in RFC 3339: they sort by time, so can the cut.
  const from = since === undefined ? '' : `${prefix}${new Date(since).toISOString()}`;
  const records: AuditRecord[] = [];
  for await (const page of md.store.range(prefix)) {
    for (const kv of page) {
      if (kv.key < from) continue;
      const r = parseAudit(kv.key, kv.value);
      if (typeof r === 'string') {
        warn(ctx, `skipped ${kv.key}: ${r}`);
        continue;
      }
      if (since !== undefined && !(Date.parse(r.at) >= since)) continue;
      if (opts.result !== undefined && r.result !== opts.result) continue;
      if (
        opts.command !== undefined &&
        r.command !== opts.command &&
        !r.command.startsWith(`${opts.command} `)
      )
        continue;
      records.push(r);
    }
  }
  print(ctx, renderAudit(records, ctx.format, ctx));
  return ExitCode.Ok;
}

function sinceMs(input: string, now: number): number {
  try {
    return now - parseDuration(input, '--since');
  } catch {
    return parseTime(input, now, '--since');
  }
}

/** A stored audit record, or why it is not one. Unknown fields ride along. */
function parseAudit(key: string, value: string): AuditRecord | string {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return 'value is not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'expected a JSON object';
  const r = raw as Record<string, unknown>;
  if (typeof r.at !== 'string' || !Number.isFinite(Date.parse(r.at)))
    return 'field at is not an RFC 3339 time';
  if (typeof r.command !== 'string') return 'field command is missing';
  if (!AUDIT_RESULTS.includes(r.result as AuditResult)) return `field result is ${JSON.stringify(r.result)}`;
  return { key, ...r, at: formatTime(Date.parse(r.at)) } as AuditRecord;
}
