import { formatTime } from './time.js';

/**
 * Errors that end a command, each carrying its exit code (PRODUCT.md §7).
 * `cli.ts` is the one place that turns them into a message and an exit status.
 */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  Precondition: 3,
  LockHeld: 4,
  Guard: 5,
  Partial: 6,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class OtlpctlError extends Error {
  readonly exitCode: ExitCode = ExitCode.Error;
}

/** Bad usage or bad input: names the input and what was expected. */
export class UsageError extends OtlpctlError {
  override readonly exitCode = ExitCode.Usage;
}

/** A stored value, a store or a peer misbehaved (unreachable etcd, unparsable value). */
export class StoreError extends OtlpctlError {
  override readonly exitCode = ExitCode.Error;
}

/**
 * The store could not be reached, or did not answer, within its timeouts: a long-running command
 * stops its work (nothing more will get through) rather than trying item after item.
 */
export class StoreUnavailableError extends StoreError {}

/**
 * A write was sent and no answer came: it may or may not have been applied. The store may well
 * answer the next call (another member took over): the caller reads back (now, or on `resume`)
 * to settle it, and never sends the write again blindly.
 */
export class OutcomeUnknownError extends StoreError {}

/** A compare-and-swap lost, a plan is stale, a required thing is missing. */
export class PreconditionError extends OtlpctlError {
  override readonly exitCode = ExitCode.Precondition;
}

export interface LockHolder {
  holder: string;
  host: string;
  pid: number;
  command: string;
  acquired_at: string;
}

export class LockHeldError extends OtlpctlError {
  override readonly exitCode = ExitCode.LockHeld;
  constructor(
    readonly lock: string,
    readonly heldBy: LockHolder | undefined,
    readonly expiresAt: string | undefined,
  ) {
    const who = heldBy
      ? // The command says whether to wait (an apply) or to stop a service first (`rebalance auto`).
        `${heldBy.holder} (pid ${heldBy.pid} on ${heldBy.host}, since ${seconds(heldBy.acquired_at)}, running '${heldBy.command}')`
      : 'another process';
    super(
      `lock '${lock}' is held by ${who}${expiresAt ? `; its lease expires at ${seconds(expiresAt)} unless renewed` : ''}`,
    );
  }
}

/** A safety guard refused (e.g. `expire --max-delete`). */
export class GuardError extends OtlpctlError {
  override readonly exitCode = ExitCode.Guard;
}

/** Some items failed; the rest is consistent. */
export class PartialError extends OtlpctlError {
  override readonly exitCode = ExitCode.Partial;
}

export class InterruptedError extends OtlpctlError {
  override readonly exitCode = ExitCode.Interrupted;
}

/** A message quoting stored or typed input stays one line: line breaks and tabs are escaped. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** A stored RFC 3339 time in the style every time prints in (whole seconds, UTC). */
function seconds(stored: string): string {
  const ms = Date.parse(stored);
  return Number.isFinite(ms) ? formatTime(ms) : stored;
}
