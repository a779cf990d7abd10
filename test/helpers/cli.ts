import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { run } from '../../src/cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured streams; `now` pins the injected clock. */
export async function runCli(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; now?: number; tty?: boolean } = {},
): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  const errs: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  err.on('data', (c: Buffer) => errs.push(c));
  if (opts.tty) Object.assign(out, { isTTY: true });
  const code = await run(['node', 'otlpctl', ...args], {
    stdout: out,
    stderr: err,
    stdin: Readable.from([Buffer.from(opts.stdin ?? '')]),
    env: { ...opts.env },
    clock: () => opts.now ?? Date.parse('2026-11-27T12:00:00Z'),
  });
  return {
    code,
    stdout: Buffer.concat(chunks).toString('utf8'),
    stderr: Buffer.concat(errs).toString('utf8'),
  };
}

const BIN = new URL('../../bin/otlpctl.js', import.meta.url).pathname;

/** Runs the built binary as a user would (needs `npm run build`). */
export function spawnCli(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(opts.stdin ?? '');
  });
}

export function tempDir(): { dir: string; file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'otlpctl-test-'));
  return { dir, file: join(dir, 'store.json'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
