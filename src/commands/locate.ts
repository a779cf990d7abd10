import { ExitCode, UsageError } from '../core/errors.js';
import { parseTraceId } from '../core/trace-id.js';
import { parseDuration, parseTime } from '../core/time-input.js';
import { renderLocated } from '../render/locate.js';
import {
  loadCluster,
  placementOf,
  resolveVantage,
  type LocateResult,
  type VantageOptions,
} from './cluster.js';
import { print, type Context } from './context.js';

/** `locate <trace-id>`: one time partition (`--at`), or one row per time partition of a window. */

export interface LocateOptions extends VantageOptions {
  traceId: string;
  at?: string;
  fromTime?: string;
  toTime?: string;
  around?: string;
  window?: string;
}

export type TraceLocateResult = { trace_id: string } & LocateResult;

// A window wider than this is almost certainly a typo (e.g. unix ms for seconds) at 3 a.m.
const MAX_WINDOW_PARTITIONS = 24 * 400;

export async function locate(opts: LocateOptions, ctx: Context): Promise<ExitCode> {
  const traceId = parseTraceId(opts.traceId);
  const now = ctx.clock();
  const window = resolveWindow(opts, now);
  const cluster = await loadCluster(ctx);
  const vantage = resolveVantage(opts, cluster);
  const hash = cluster.locator.traceHashPartition(traceId);
  const buckets = window
    ? cluster.locator.time.bucketsInRange(window.from, window.to)
    : [cluster.locator.time.bucketOf(opts.at === undefined ? now : parseTime(opts.at, now, '--at'))];
  if (buckets.length > MAX_WINDOW_PARTITIONS) {
    throw new UsageError(
      `time window spans ${buckets.length} time partitions; at most ${MAX_WINDOW_PARTITIONS}`,
    );
  }
  const results: TraceLocateResult[] = [];
  for (const b of buckets) {
    const key = cluster.locator.located('traces', b, hash);
    results.push({ trace_id: traceId, ...(await placementOf(cluster, key, vantage)) });
  }
  print(ctx, renderLocated(results, window !== undefined, ctx.format, ctx));
  return ExitCode.Ok;
}

/** `--from-time/--to-time` or `--around/--window`; undefined for a single instant. */
export function resolveWindow(
  opts: Pick<LocateOptions, 'at' | 'fromTime' | 'toTime' | 'around' | 'window'>,
  now: number,
): { from: number; to: number } | undefined {
  const ranged = opts.fromTime !== undefined || opts.toTime !== undefined;
  const around = opts.around !== undefined || opts.window !== undefined;
  if ([opts.at !== undefined, ranged, around].filter(Boolean).length > 1) {
    throw new UsageError('give one of --at, --from-time/--to-time, or --around/--window');
  }
  if (ranged) {
    if (opts.fromTime === undefined) throw new UsageError('--to-time needs --from-time');
    const from = parseTime(opts.fromTime, now, '--from-time');
    const to = opts.toTime === undefined ? now : parseTime(opts.toTime, now, '--to-time');
    if (to <= from)
      throw new UsageError(
        `--to-time must be after --from-time (got ${opts.fromTime} .. ${opts.toTime ?? 'now'})`,
      );
    return { from, to };
  }
  if (around) {
    const at = opts.around === undefined ? now : parseTime(opts.around, now, '--around');
    const half = parseDuration(opts.window ?? '1h', '--window') / 2;
    if (half <= 0) throw new UsageError(`--window '${opts.window}': expected a positive duration`);
    return { from: at - half, to: at + half };
  }
  return undefined;
}
