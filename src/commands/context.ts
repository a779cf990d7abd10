import type { Writable, Readable } from 'node:stream';
import type { MetadataStore } from '../store/contract.js';
import type { KeyLayout } from '../store/layout.js';
import { Metadata } from '../store/metadata.js';
import type { Format } from '../render/output.js';
import { oneLine } from '../core/errors.js';

/**
 * What a command gets from the CLI: its store (opened lazily, so commands that need none never
 * load the etcd client), where to write, the clock, and the terminal facts that rendering depends on.
 */
export interface Context {
  openStore(): Promise<MetadataStore>;
  layout: KeyLayout;
  /** Milliseconds since the epoch; injected so tests need no fake timers. */
  clock: () => number;
  format: Format;
  color: boolean;
  quiet: boolean;
  /** stdout is a terminal: spinners, prompts and progress only then. */
  interactive: boolean;
  stdout: Writable;
  stderr: Writable;
  /**
   * Aborted on the first Ctrl-C or SIGTERM (cli.ts owns the signals): start no new work, let the
   * steps in flight end (each within its store deadline), save what is known, print the summary,
   * exit 130. A second signal ends the process at once. Only the long-running commands
   * (`GRACEFUL` in cli.ts) see it; any other command ends at the first signal.
   */
  interrupt: AbortSignal;
  stdin: Readable;
  /**
   * The file descriptor behind stdin, when reading it directly is safe (the real process, not a
   * test's stream): `locate --stdin` then reads it synchronously in large blocks, ~15× faster than
   * the stream.
   */
  stdinFd?: number;
  /** Likewise stdout's descriptor: `locate --stdin` then writes it directly, reusing one buffer. */
  stdoutFd?: number;
}

export async function openMetadata(ctx: Context): Promise<Metadata> {
  return new Metadata(await ctx.openStore(), ctx.layout, (m) => warn(ctx, m));
}

/** Something wrong in the data the command worked around: printed even with -q, one line. */
export function warn(ctx: Context, text: string): void {
  ctx.stderr.write(`otlpctl: ${oneLine(text)}\n`);
}

export function print(ctx: Context, text: string): void {
  if (text.length > 0) ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A note for the person at the terminal (stderr), silenced by -q. */
export function note(ctx: Context, text: string): void {
  if (!ctx.quiet) ctx.stderr.write(`${text}\n`);
}
