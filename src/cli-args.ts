import { UsageError } from './core/errors.js';
import { expectation, intIn, type Check } from './core/schema.js';

/** Flag values to typed options, each failure one line naming the flag and what was expected. */

// Decimal only: Number() would also take '0x10', '1e3' and ' '.
const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A numeric flag checked by `check`: the config's own check where the flag sets a config field
 * (core/config.ts CONFIG_CHECKS), so a flag and the stored value it becomes agree on their bounds.
 */
export function checkedArg(flag: string, check: Check<number>) {
  return (value: string): number => {
    const n = DECIMAL.test(value.trim()) ? Number(value) : NaN;
    const expected = expectation(check, n);
    if (expected !== undefined) throw new UsageError(`${flag} '${value}': expected ${expected}`);
    return n;
  };
}

/** A flag whose bounds are its own (no stored value has them). */
export const intArg = (flag: string, min: number, max: number) => checkedArg(flag, intIn(min, max));

export function choiceArg<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    const hit = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!hit) throw new UsageError(`${flag} '${value}': expected one of ${choices.join(', ')}`);
    return hit;
  };
}

// Node ids end up in etcd keys and in ring keys "<node>:<i>": no slashes, colons or spaces.
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function nodeIdArg(value: string): string {
  if (!NODE_ID.test(value)) {
    throw new UsageError(
      `node id '${value}': expected letters, digits, '.', '_' or '-' (at most 128, no '/', ':' or spaces)`,
    );
  }
  return value;
}

/** `k=v,k=v` → pairs; a value may contain '=' but not ','. */
export function labelsArg(value: string): [string, string][] {
  if (value.trim() === '') return [];
  return value.split(',').map((pair) => {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`--labels '${value}': expected k=v pairs separated by commas`);
    return [pair.slice(0, i), pair.slice(i + 1)];
  });
}

/** A repeatable flag that also takes commas (`--check a,b --check c`): each item parsed by `one`. */
export function listOf<T>(one: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [
    ...(previous ?? []),
    ...value.split(',').map((v) => one(v.trim())),
  ];
}
