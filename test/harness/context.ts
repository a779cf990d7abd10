import { PassThrough, Readable } from 'node:stream';
import type { Context } from '../../src/commands/context.js';
import type { MetadataStore } from '../../src/store/contract.js';
import { KeyLayout } from '../../src/store/layout.js';

/** A command's context for in-process tests: `store` under /otlp, JSON out, a fixed clock. */
export function inProcessContext(
  store: MetadataStore,
  now: number,
  overrides: Partial<Context> = {},
): Context {
  return {
    openStore: async () => store,
    layout: new KeyLayout('/otlp'),
    clock: () => now,
    format: 'json',
    color: false,
    quiet: true,
    interactive: false,
    stdout: new PassThrough().resume(),
    stderr: new PassThrough().resume(),
    stdin: Readable.from([]),
    interrupt: new AbortController().signal,
    ...overrides,
  };
}
