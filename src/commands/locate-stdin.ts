import { once } from 'node:events';
import { readSync, writeSync } from 'node:fs';
import { ExitCode, UsageError } from '../core/errors.js';
import type { PartitionMetadata } from '../core/model.js';
import { formatPartitionId } from '../core/partition-id.js';
import { parseTime } from '../core/time-input.js';
import { formatTime } from '../core/time.js';
import { parseTraceId } from '../core/trace-id.js';
import { TraceRouter } from '../core/trace-router.js';
import { storedPartition } from '../store/metadata.js';
import { loadCluster, type Cluster } from './cluster.js';
import type { Context } from './context.js';
import { LineWriter, layoutFor } from './locate-stdin-output.js';
import { LineScanner, STOP_END, STOP_LOAD, STOP_SLOW } from './locate-stdin-scan.js';

/**
 * `locate --stdin`: one "<trace-id> [time]" per line, one result per line, streaming with flat
 * memory. The common line is answered by the measured hot path (bench/stdin.js) —
 * locate-stdin-scan.ts, the TraceRouter and locate-stdin-output.ts — from the input bytes into
 * an output buffer without making a string; this module reads and writes the descriptors, reads
 * each time bucket's stored metadata when first met, and gives any other line to the general
 * parsers. A bad line is reported in the output stream and the run goes on; the exit code is
 * then 6.
 */

const NL = 10;

export async function locateStdin(_opts: object, ctx: Context): Promise<ExitCode> {
  const cluster = await loadCluster(ctx);
  // A bucket's metadata is read, handed to the router (which keeps only its placements), and
  // forgotten: memory stays flat however many buckets the input spans.
  const loaded = new Map<number, Map<string, PartitionMetadata>>();
  const router = new TraceRouter(cluster.locator, (b) => {
    const m = loaded.get(b);
    loaded.delete(b);
    return m;
  });
  const layout = layoutFor(ctx.format);
  const out = new LineWriter(layout, router, cluster.config.hash_partitions);
  const now = ctx.clock();
  const nowSecs = Math.floor(now / 1000);
  let bad = 0;

  /** The placement number, reading the bucket's metadata from the store first if need be. */
  const placementFor = async (bucket: number, hash: number): Promise<number> => {
    const p = router.placementIfReady(bucket, hash);
    if (p >= 0) return p;
    await loadBucket(cluster, bucket, loaded);
    return router.placementIfReady(bucket, hash);
  };

  /** Any line the fast path does not take: traceparent, RFC 3339 or relative times, or an error. */
  const slowLine = async (line: string): Promise<void> => {
    try {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 2)
        throw new UsageError(`expected '<trace-id> [time]', got ${fields.length} fields`);
      const traceId = parseTraceId(fields[0]!);
      const ms = fields[1] === undefined ? now : parseTime(fields[1], now);
      const bucket = router.bucketOf(ms);
      const hash = cluster.locator.traceHashPartition(traceId);
      out.result(traceId, formatTime(ms), bucket, hash, await placementFor(bucket, hash));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      bad++;
      out.error(scan.lineNo, line, err.message);
    }
  };

  const flush = async () => {
    if (ctx.stdoutFd !== undefined) {
      await writeAll(ctx.stdoutFd, out.view());
      out.reset();
      return;
    }
    const chunk = out.take();
    if (chunk && !ctx.stdout.write(chunk)) await once(ctx.stdout, 'drain');
  };
  const writeText = (text: string) =>
    ctx.stdoutFd === undefined ? ctx.stdout.write(text) : writeAll(ctx.stdoutFd, Buffer.from(text));

  const scan = new LineScanner(router, out, nowSecs);
  /** Answers every complete line of `chunk`; returns the unfinished tail. */
  const consume = async (chunk: Buffer): Promise<Buffer | undefined> => {
    // A plain Uint8Array view: indexed reads of a Buffer are far slower (locate-stdin-output.ts).
    const buf = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const words = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    const end = chunk.lastIndexOf(NL);
    scan.pos = 0;
    for (let stop; (stop = scan.run(buf, words, end)) !== STOP_END;) {
      if (stop === STOP_LOAD) await loadBucket(cluster, scan.bucket, loaded);
      else if (stop === STOP_SLOW) await slowLine(chunk.toString('utf8', scan.from, scan.to));
      if (out.full) await flush();
    }
    await flush();
    return scan.pos < chunk.length ? chunk.subarray(scan.pos) : undefined;
  };

  await writeText(layout.open);
  let tail: Buffer | undefined;
  if (ctx.stdinFd === undefined) {
    for await (const chunk of ctx.stdin as AsyncIterable<Buffer>) {
      tail = await consume(tail ? Buffer.concat([tail, chunk]) : chunk);
    }
  } else {
    // Two blocks in turn: the unfinished line of one is copied to the start of the other, so
    // nothing is allocated or concatenated per read.
    const blocks = [Buffer.allocUnsafe(BLOCK), Buffer.allocUnsafe(BLOCK)];
    for (let k = 0; ; k ^= 1) {
      const keep = tail?.length ?? 0;
      if (keep > BLOCK / 2) blocks[k] = Buffer.allocUnsafe(2 * keep + BLOCK); // an absurdly long line
      const block = blocks[k]!;
      tail?.copy(block, 0);
      const n = await readBlock(ctx.stdinFd, block, keep);
      if (n === 0) break;
      tail = await consume(block.subarray(0, keep + n));
    }
  }
  // A last line without a newline is still a line.
  if (tail) await consume(Buffer.concat([tail, Buffer.from('\n')]));
  await writeText(out.close());
  return bad > 0 ? ExitCode.Partial : ExitCode.Ok;
}

const BLOCK = 1 << 20;

/** Reads stdin's descriptor directly (~15× faster than the stream for big inputs); 0 at the end. */
async function readBlock(fd: number, block: Buffer, offset: number): Promise<number> {
  for (;;) {
    try {
      return readSync(fd, block, offset, block.length - offset, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EOF') return 0;
      if (code !== 'EAGAIN') throw err;
      // A non-blocking stdin with nothing to read yet: wait a little rather than spin.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/** Writes all of `bytes` to a descriptor, waiting out a non-blocking pipe that is full. */
async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/** Stored metadata of one time partition: one range read of `partition_<bucket>_…`. */
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
