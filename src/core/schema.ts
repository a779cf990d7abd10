import * as v from 'valibot';

/**
 * The checks behind every validated input (flags, config, plan files, stored records), on valibot.
 * Each check carries its expectation as its message ("an integer from 1 to 1000"), so a failure
 * reads the same wherever the value came from: `<where>: field moves[3].bytes is -1, expected a
 * byte count`, or `--max-concurrent '0': expected an integer from 1 to 1000`.
 */

/** A check of an unknown value, whose issues' messages say what was expected. */
export type Check<T> = v.GenericSchema<unknown, T>;

export function intIn(min: number, max: number): Check<number> {
  const e = `an integer from ${min} to ${max}`;
  return v.pipe(v.number(e), v.safeInteger(e), v.minValue(min, e), v.maxValue(max, e));
}

/** A finite number in [min, max], or in (min, max) when `open`. */
export function numberIn(min: number, max: number, open = false): Check<number> {
  const e = open ? `a number above ${min} and below ${max}` : `a number from ${min} to ${max}`;
  return open
    ? v.pipe(v.number(e), v.finite(e), v.gtValue(min, e), v.ltValue(max, e))
    : v.pipe(v.number(e), v.finite(e), v.minValue(min, e), v.maxValue(max, e));
}

/**
 * A size, count or revision: a non-negative integer JavaScript holds exactly. Larger values
 * (a u64 past 2^53) would be rounded by JSON.parse and are refused, not silently changed.
 */
export function count(expected = 'a non-negative integer'): Check<number> {
  return v.pipe(v.number(expected), v.safeInteger(expected), v.minValue(0, expected));
}

export function oneOf<const T extends string>(options: readonly T[], separator = '|'): Check<T> {
  return v.picklist(options, options.join(separator));
}

export function text(expected: string, pattern?: RegExp): Check<string> {
  return pattern
    ? v.pipe(v.string(expected), v.regex(pattern, expected))
    : v.pipe(v.string(expected), v.minLength(1, expected));
}

/** What `check` expected of `value`, or undefined when the value passes. */
export function expectation(check: Check<unknown>, value: unknown): string | undefined {
  const r = v.safeParse(check, value, { abortEarly: true });
  return r.success ? undefined : (r.issues[0].message as string);
}

/**
 * The first problem of `value` under `schema` as one line naming the input (`where`), the field
 * by its path, the value found and what was expected; undefined when the value passes.
 */
export function problem(schema: Check<unknown>, value: unknown, where: string): string | undefined {
  // valibot's objects take arrays too; a record or a file must be a JSON object.
  if ('entries' in schema && !isJsonObject(value)) return `${where}: expected ${messageOf(schema)}`;
  const r = v.safeParse(schema, value, { abortEarly: true });
  if (r.success) return undefined;
  const issue = r.issues[0];
  const items = issue.path ?? [];
  if (items.length === 0) return `${where}: expected ${issue.message}`;
  let path = '';
  let at: v.GenericSchema | undefined = schema;
  for (const item of items) {
    path += typeof item.key === 'number' ? `[${item.key}]` : `${path ? '.' : ''}${String(item.key)}`;
    at = inner(at, item.key);
  }
  // A missing key is reported against its object; what was expected of it is its own check's.
  const last = items[items.length - 1] as { origin?: string };
  const missing = last.origin === 'key';
  const expected = missing ? (messageOf(at) ?? issue.message) : issue.message;
  const found = missing ? 'missing' : (JSON.stringify(issue.input) ?? 'missing');
  return `${where}: field ${path} is ${found}, expected ${expected}`;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The check of an object's entry or an array's items, for the expectation of a missing key. */
function inner(schema: v.GenericSchema | undefined, key: unknown): v.GenericSchema | undefined {
  const s = schema as { entries?: Record<string, v.GenericSchema>; item?: v.GenericSchema } | undefined;
  if (s?.entries && typeof key === 'string') return s.entries[key];
  if (s?.item && typeof key === 'number') return s.item;
  return undefined;
}

function messageOf(schema: v.GenericSchema | undefined): string | undefined {
  const m = (schema as { message?: unknown; wrapped?: { message?: unknown } } | undefined)?.message;
  return typeof m === 'string' ? m : undefined;
}
