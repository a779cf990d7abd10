import { ExitCode, UsageError } from '../core/errors.js';
import { SEVERITY_LEVELS } from '../core/keys.js';
import { parseTime } from '../core/time-input.js';
import { renderLocated } from '../render/locate.js';
import { loadCluster, placementOf, resolveVantage, type VantageOptions } from './cluster.js';
import { print, type Context } from './context.js';

/** `locate metric` and `locate log`: the seed's MetricPartitionKey and LogPartitionKey. */

export interface LocateMetricOptions extends VantageOptions {
  name: string;
  service: string;
  labels: [string, string][];
  at?: string;
}

export async function locateMetric(opts: LocateMetricOptions, ctx: Context): Promise<ExitCode> {
  const at = opts.at === undefined ? ctx.clock() : parseTime(opts.at, ctx.clock(), '--at');
  const cluster = await loadCluster(ctx);
  const vantage = resolveVantage(opts, cluster);
  const key = cluster.locator.locateMetric(opts.name, opts.service, opts.labels, at);
  const result = {
    signal: 'metrics' as const,
    name: opts.name,
    service_name: opts.service,
    time_bucket: key.time_bucket,
    label_hash: key.label_hash.toString(),
    ...(await placementOf(cluster, key, vantage)),
  };
  print(
    ctx,
    renderLocated([result], false, ctx.format, ctx, (r) => [
      ['metric', `${r.name} (service ${r.service_name})`],
      ['time bucket', String(r.time_bucket)],
      ['label hash', String(r.label_hash)],
    ]),
  );
  return ExitCode.Ok;
}

export interface LocateLogOptions extends VantageOptions {
  service: string;
  severity: string;
  body: string;
  at?: string;
}

/** A level name, one of the seed's six numbers, or an OTLP severity 1–24 mapped onto them by range. */
export function parseSeverity(input: string): number {
  const name = input.trim().toUpperCase() as keyof typeof SEVERITY_LEVELS;
  if (name in SEVERITY_LEVELS) return SEVERITY_LEVELS[name];
  if (/^\d+$/.test(input.trim())) {
    const n = Number(input);
    if (n >= 1 && n <= 24) return 1 + 4 * Math.floor((n - 1) / 4);
  }
  throw new UsageError(
    `--severity '${input}': expected TRACE, DEBUG, INFO, WARN, ERROR, FATAL or a number from 1 to 24`,
  );
}

export async function locateLog(opts: LocateLogOptions, ctx: Context): Promise<ExitCode> {
  const severity = parseSeverity(opts.severity);
  const at = opts.at === undefined ? ctx.clock() : parseTime(opts.at, ctx.clock(), '--at');
  const cluster = await loadCluster(ctx);
  const vantage = resolveVantage(opts, cluster);
  const key = cluster.locator.locateLog(opts.service, severity, opts.body, at);
  const result = {
    signal: 'logs' as const,
    service_name: opts.service,
    time_bucket: key.time_bucket,
    severity_level: severity,
    content_hash: key.content_hash.toString(),
    ...(await placementOf(cluster, key, vantage)),
  };
  print(
    ctx,
    renderLocated([result], false, ctx.format, ctx, (r) => [
      ['log', `service ${r.service_name}, severity ${r.severity_level}`],
      ['time bucket', String(r.time_bucket)],
      ['content hash', String(r.content_hash)],
    ]),
  );
  return ExitCode.Ok;
}
