import { UsageError } from './core/errors.js';

/** Flag values to typed options, each failure one line naming the flag and what was expected. */

export function intArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag} '${value}': expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export function numberArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(`${flag} '${value}': expected a number from ${min} to ${max}`);
    }
    return n;
  };
}

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
