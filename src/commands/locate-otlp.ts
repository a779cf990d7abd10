import { readFile } from 'node:fs/promises';
import { ExitCode, UsageError } from '../core/errors.js';
import { parseOtlpText, type OtlpItem } from '../core/otlp.js';
import type { LocatedKey } from '../core/locator.js';
import { resolvePlacement } from '../core/placement.js';
import { formatPreciseTime } from '../core/time.js';
import { renderOtlp, type OtlpRow } from '../render/otlp.js';
import { loadCluster, type Cluster } from './cluster.js';
import { print, type Context } from './context.js';

/**
 * `locate otlp`: the seed's `write_trace` routing for real OTLP/JSON data — each trace, metric
 * stream and log record placed: signal, service, time, keys, partition, nodes.
 */

async function readInput(file: string, ctx: Context): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export async function locateOtlp(opts: { file: string }, ctx: Context): Promise<ExitCode> {
  const text = await readInput(opts.file, ctx);
  const cluster = await loadCluster(ctx);
  const { items, problems } = parseOtlpText(text);
  const rows: OtlpRow[] = [];
  for (const item of items) rows.push(await route(cluster, item));
  for (const p of problems) rows.push({ where: p.where, error: p.error });
  print(ctx, renderOtlp(rows, ctx.format, ctx));
  return problems.length > 0 ? ExitCode.Partial : ExitCode.Ok;
}

async function route(cluster: Cluster, item: OtlpItem): Promise<OtlpRow> {
  const { key, fields } = keyOf(cluster, item);
  const stored = await cluster.md.partition(key.partition_id);
  const p = resolvePlacement(key.partition_id, key.ring_replicas, stored?.record);
  return {
    signal: item.signal,
    ...fields,
    partition_id: key.partition_id,
    leader: p.leader,
    replicas: p.replicas,
    source: p.source,
  };
}

function keyOf(cluster: Cluster, item: OtlpItem): { key: LocatedKey; fields: Record<string, unknown> } {
  const { locator } = cluster;
  const time = formatPreciseTime(item.time_ms);
  switch (item.signal) {
    case 'traces':
      return {
        key: locator.locateTrace(item.trace_id, item.time_ms),
        fields: { trace_id: item.trace_id, service_name: item.service_name, time, spans: item.spans },
      };
    case 'metrics': {
      const key = locator.locateMetric(item.name, item.service_name, item.labels, item.time_ms);
      const label_hash = key.label_hash.toString();
      return {
        key,
        fields: {
          name: item.name,
          service_name: item.service_name,
          time,
          time_bucket: key.time_bucket,
          label_hash,
        },
      };
    }
    case 'logs': {
      const key = locator.locateLog(item.service_name, item.severity_level, item.body, item.time_ms);
      return {
        key,
        fields: {
          service_name: item.service_name,
          time,
          time_bucket: key.time_bucket,
          severity_level: item.severity_level,
          content_hash: key.content_hash.toString(),
        },
      };
    }
  }
}
