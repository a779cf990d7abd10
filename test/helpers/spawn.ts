import { spawn, type ChildProcess } from 'node:child_process';
import type { CliResult } from './cli.js';

/** The built binary as a child process, for tests that signal or outlive it. */

const BIN = new URL('../../bin/otlpctl.js', import.meta.url).pathname;

export interface Run {
  child: ChildProcess;
  done: Promise<CliResult>;
}

export function start(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal === 'SIGKILL' ? 137 : -1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    ),
  );
  return { child, done };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !(await ok()); await sleep(25))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}
