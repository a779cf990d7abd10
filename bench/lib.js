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

/** Plain wall time of a command, no probe (for baselines like `node -e 0` and etcdctl). */
export function timeCommand(cmd, args, { env } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code }));
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
