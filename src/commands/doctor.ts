import { ExitCode } from '../core/errors.js';
import { checkPartition, type Check, type Finding } from '../core/doctor.js';
import { isRingMember, type NodeInfo } from '../core/model.js';
import { parseNodeInfo } from '../core/records.js';
import { parseDuration } from '../core/time-input.js';
import { renderDoctor, type DoctorReport } from '../render/doctor.js';
import { partitionPages } from '../store/metadata.js';
import { openMetadata, print, type Context } from './context.js';

/**
 * `doctor`: one streamed pass over config, nodes and partitions; exit 1 when anything is wrong.
 * Every finding counted is kept (`-o json` is an API); the table groups and shortens them.
 */

export interface DoctorOptions {
  stuckAfter?: string;
  /** Only these kinds of finding are counted and listed. */
  check?: Check[];
}

export async function doctor(opts: DoctorOptions, ctx: Context): Promise<ExitCode> {
  const stuckAfterMs = parseDuration(opts.stuckAfter ?? '1h', '--stuck-after');
  const wanted = opts.check && opts.check.length > 0 ? new Set(opts.check) : undefined;
  const md = await openMetadata(ctx);
  const report: DoctorReport = { ok: true, checked: 0, counts: {}, findings: [], only: opts.check ?? null };
  const add = (f: Finding) => {
    if (wanted && !wanted.has(f.check)) return;
    report.counts[f.check] = (report.counts[f.check] ?? 0) + 1;
    report.findings.push(f);
  };
  let configFound = false;
  const config = await md.config().then(
    (c) => ((configFound = c !== undefined), c),
    (err: Error) => {
      configFound = true;
      add({ check: 'unparsable', subject: md.layout.config, detail: err.message });
      return undefined;
    },
  );
  if (!configFound) {
    add({
      check: 'unparsable',
      subject: md.layout.config,
      detail: "no cluster configuration: run 'otlpctl init'",
    });
  }
  const nodes = new Map<string, NodeInfo>();
  for await (const page of md.store.range(md.layout.nodesPrefix)) {
    for (const kv of page) {
      try {
        const n = parseNodeInfo(kv.value, kv.key).record;
        nodes.set(n.node_id, n);
      } catch (err) {
        add({ check: 'unparsable', subject: kv.key, detail: (err as Error).message });
      }
    }
  }
  const members = [...nodes.values()].filter(isRingMember).length;
  const c = {
    nodes,
    expectedReplicas: Math.min(config?.record.replication_factor ?? 3, members),
    hashPartitions: config?.record.hash_partitions ?? Infinity,
    granularityMs: (config?.record.granularity_hours ?? 1) * 3_600_000,
    nowMs: ctx.clock(),
    stuckAfterMs,
  };
  for await (const page of partitionPages(md)) {
    for (const e of page) {
      report.checked++;
      if (!e.ok) add({ check: 'unparsable', subject: e.key, detail: e.error });
      else for (const f of checkPartition(e.stored.record, c)) add(f);
    }
  }
  report.ok = report.findings.length === 0;
  print(ctx, renderDoctor(report, ctx.format, ctx));
  return report.ok ? ExitCode.Ok : ExitCode.Error;
}

export type { Check };
