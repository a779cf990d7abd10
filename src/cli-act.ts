import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Context } from './commands/context.js';
import type { ExitCode } from './core/errors.js';

/** What a command runs once its flags are parsed. */
export type Action = (ctx: Context) => Promise<ExitCode>;

/**
 * `A` as commander's `.action` expects it, never inferred from `build`'s own parameters (it may
 * take fewer); a conditional type is not an inference site, and unlike NoInfer it leaves a
 * shorter parameter list assignable.
 */
type FromAction<A> = A extends infer Same ? Same : never;

/**
 * Wraps a command's action for commander (`cli.ts` makes it; each `cli-<family>.ts` uses it).
 * `build` gets the command's arguments and options typed as @commander-js/extra-typings derives
 * them from the declarations above it, so a command's options type (`LocateOptions` …) is checked
 * against the flags declared for it.
 */
export type Act = <A extends unknown[]>(
  build: (...args: FromAction<A>) => Action,
) => (this: CommandUnknownOpts, ...args: [...A, CommandUnknownOpts]) => Promise<void>;
