import { once } from 'node:events';
import { ExitCode, UsageError } from '../core/errors.js';
import type { PartitionMetadata } from '../core/model.js';
import { formatPartitionId } from '../core/partition-id.js';
import { parseTime } from '../core/time-input.js';
import { formatTime } from '../core/time.js';
import { parseTraceId } from '../core/trace-id.js';
import { TraceRouter, type Route } from '../core/trace-router.js';
import { storedPartition } from '../store/metadata.js';
import { loadCluster, type Cluster } from './cluster.js';
import type { Context } from './context.js';

/**
 * `locate --stdin`: one "<trace-id> [time]" per line, one result per line, streaming with flat
 * memory. The common line (32 hex digits, unix seconds) is parsed from the bytes without making
 * strings; anything else takes the general parsers. A bad line is reported in the output stream
 * and the run goes on; the exit code is then 6.
 */

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

type Emit = (traceId: string, time: string, route: Route) => string;

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

export async function locateStdin(_opts: object, ctx: Context): Promise<ExitCode> {
  const cluster = await loadCluster(ctx);
  const buckets = new Map<number, Map<string, PartitionMetadata>>();
  const router = new TraceRouter(cluster.locator, (b) => buckets.get(b));
  const emit = emitterFor(ctx.format);
  const errorLine = errorFor(ctx.format);
  const now = ctx.clock();
  let lineNo = 0;
  let bad = 0;
  // Input is rarely time-ordered: keep every hour's "YYYY-MM-DDTHH:" prefix, not just the last.
  const hourPrefixes = new Map<number, string>();
  const formatSeconds = (t: number): string => {
    const h = Math.floor(t / 3600);
    let prefix = hourPrefixes.get(h);
    if (prefix === undefined) {
      prefix = new Date(h * 3_600_000).toISOString().slice(0, 14);
      hourPrefixes.set(h, prefix);
    }
    const r = t - h * 3600;
    return `${prefix}${TWO[Math.floor(r / 60)]}:${TWO[r % 60]}Z`;
  };

  let first = true;
  /** Handles every complete line of `buf`; returns the unfinished tail. */
  const consume = async (buf: Buffer): Promise<Buffer | undefined> => {
    let out = '';
    let pos = 0;
    const end = buf.lastIndexOf(NL);
    while (pos <= end) {
      let eol = buf.indexOf(NL, pos);
      const next = eol + 1;
      if (eol > pos && buf[eol - 1] === CR) eol--;
      lineNo++;
      let s = pos;
      while (s < eol && (buf[s] === SP || buf[s] === TAB)) s++;
      if (s < eol) {
        let piece: string;
        // Fast path: 32 hex digits, optionally followed by whitespace and unix seconds.
        let h =
          eol - s >= 32 && (eol - s === 32 || buf[s + 32] === SP || buf[s + 32] === TAB)
            ? router.hashPartitionOfHex(buf, s)
            : -1;
        let secs = -1;
        if (h >= 0) {
          let t = s + 32;
          while (t < eol && (buf[t] === SP || buf[t] === TAB)) t++;
          if (t === eol) secs = Math.floor(now / 1000);
          else if (eol - t <= 11) {
            let v = 0;
            for (; t < eol; t++) {
              const d = buf[t]! - 48;
              if (d < 0 || d > 9) break;
              v = v * 10 + d;
            }
            if (t === eol) secs = v;
          }
          if (secs < 0) h = -1;
        }
        if (h >= 0) {
          const bucket = router.bucketOf(secs * 1000);
          if (!router.ready(bucket)) await loadBucket(cluster, bucket, buckets);
          let traceId = buf.toString('latin1', s, s + 32);
          if (/[A-F]/.test(traceId)) traceId = traceId.toLowerCase();
          piece = emit(traceId, formatSeconds(secs), router.route(bucket, h));
        } else {
          piece = await slowLine(buf.toString('utf8', s, eol));
        }
        if (ctx.format === 'json') {
          out += first ? `\n${piece}` : `,\n${piece}`;
          first = false;
        } else out += piece;
      }
      pos = next;
    }
    if (out.length > 0 && !ctx.stdout.write(out)) await once(ctx.stdout, 'drain');
    return pos < buf.length ? buf.subarray(pos) : undefined;
  };
  /** Any other line: traceparent, RFC 3339 or relative times, or something to report. */
  const slowLine = async (line: string): Promise<string> => {
    try {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 2)
        throw new UsageError(`expected '<trace-id> [time]', got ${fields.length} fields`);
      const traceId = parseTraceId(fields[0]!);
      const ms = fields[1] === undefined ? now : parseTime(fields[1], now);
      const bucket = router.bucketOf(ms);
      if (!router.ready(bucket)) await loadBucket(cluster, bucket, buckets);
      return emit(traceId, formatTime(ms), router.route(bucket, cluster.locator.traceHashPartition(traceId)));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      bad++;
      return errorLine(lineNo, line, err.message);
    }
  };

  if (ctx.format === 'json') ctx.stdout.write('[');
  let carry: Buffer | undefined;
  for await (const chunk of ctx.stdin as AsyncIterable<Buffer>) {
    carry = await consume(carry ? Buffer.concat([carry, chunk]) : chunk);
  }
  // A last line without a newline is still a line.
  if (carry) await consume(Buffer.concat([carry, Buffer.from('\n')]));
  if (ctx.format === 'json') ctx.stdout.write(first ? ']\n' : '\n]\n');
  return bad > 0 ? ExitCode.Partial : ExitCode.Ok;
}

async function loadBucket(
  cluster: Cluster,
  bucket: number,
  into: Map<number, Map<string, PartitionMetadata>>,
): Promise<void> {
  const m = new Map<string, PartitionMetadata>();
  const prefix = cluster.md.layout.partition(formatPartitionId('traces', bucket, 0).replace(/\d+$/, ''));
  for await (const page of cluster.md.store.range(prefix)) {
    for (const kv of page) {
      const s = storedPartition(kv);
      m.set(s.record.partition_id, s.record);
    }
  }
  into.set(bucket, m);
}

function emitterFor(format: Context['format']): Emit {
  switch (format) {
    case 'tsv':
      return (id, time, r) =>
        `${id}\t${time}${(r.memo ??= `\t${r.partition_id}\t${r.leader}\t${r.replicas.join(',')}\n`)}`;
    case 'table':
      return (id, time, r) =>
        `${id}  ${time}${(r.memo ??= `  ${r.partition_id.padEnd(22)}  ${r.leader.padEnd(10)}  ${r.replicas.join(',')}\n`)}`;
    case 'json':
    case 'ndjson': {
      const nl = format === 'ndjson' ? '\n' : '';
      return (id, time, r) =>
        `{"trace_id":"${id}","time":"${time}"${(r.memo ??= `,"partition_id":${JSON.stringify(r.partition_id)},"leader":${JSON.stringify(r.leader)},"replicas":${JSON.stringify(r.replicas)},"source":"${r.source}"}${nl}`)}`;
    }
  }
}

function errorFor(format: Context['format']): (line: number, input: string, message: string) => string {
  switch (format) {
    case 'tsv':
    case 'table':
      return (line, input, message) =>
        `${input.replace(/[\t\r\n]/g, ' ')}\tERROR\tline ${line}: ${message}\n`;
    case 'json':
    case 'ndjson': {
      const nl = format === 'ndjson' ? '\n' : '';
      return (line, input, message) => `${JSON.stringify({ line, input, error: message })}${nl}`;
    }
  }
}
