import type { Command } from 'commander';
import type { Context } from './commands/context.js';
import type { ExitCode } from './core/errors.js';

/** What a command runs once its flags are parsed. */
export type Action = (ctx: Context) => Promise<ExitCode>;

// Commander's option bags are untyped; each action's flags are declared right above it.
/** Wraps a command's action for commander (`cli.ts` makes it; each `cli-<family>.ts` uses it). */
export type Act = (build: (...a: never[]) => Action) => (this: Command, ...args: unknown[]) => Promise<void>;
