// Shared helpers for the benchmarks: timing whole processes, their peak memory, and medians.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/otlpctl.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./rss-probe.js', import.meta.url));

/**
 * Runs `node args…` with stdin from a file (or none) and stdout to /dev/null; resolves to the wall
 * time in ms, the exit code, and the child's own peak RSS in MB (reported by a preloaded probe).
 */
export function timeProcess(args, { stdinFile, env } = {}) {
  return new Promise((resolve, reject) => {
    const stdin = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', PROBE, ...args], {
      stdio: [stdin, 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (typeof stdin === 'number') closeSync(stdin);
      const m = /OTLPCTL_BENCH_MAXRSS_KB=(\d+)/.exec(err);
      resolve({
        ms,
        code,
        rssMb: m ? Number(m[1]) / 1024 : NaN,
        stderr: err.replace(/OTLPCTL_BENCH_MAXRSS_KB=\d+\n?/, ''),
      });
    });
  });
}

/** Plain wall time of a command, no probe (for baselines like `node -e 0`, etcdctl, Rust). */
export function timeCommand(cmd, args, { env, stdinFile } = {}) {
  return new Promise((resolve, reject) => {
    const stdin = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      stdio: [stdin, 'ignore', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (typeof stdin === 'number') closeSync(stdin);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code });
    });
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * A put of the k-th partition of `bucket` in the seed's exact JSON (chrono nanosecond timestamps),
 * on three of `nodes` node ids `node-001…`, with a size in the seed's 1–5 GB trace range.
 */
export function seedPartitionPut(prefix, bucket, hash, k, nodes) {
  const id = `partition_${bucket}_${String(hash).padStart(4, '0')}`;
  const n = (k * 7) % nodes;
  const replicas = [n, (n + 1) % nodes, (n + 2) % nodes].map((x) => `node-${String(x + 1).padStart(3, '0')}`);
  const t = new Date(bucket * 3_600_000).toISOString().replace('.000Z', '.123456789Z');
  return {
    type: 'put',
    key: `${prefix}/partitions/${id}`,
    value: JSON.stringify({
      partition_id: id,
      nodes: replicas,
      leader: replicas[0],
      state: 'Active',
      size_bytes: 1_000_000_000 + ((k * 2654435761) % 4_000_000_000),
      record_count: 500_000 + (k % 1000),
      created_at: t,
      updated_at: t,
    }),
  };
}
