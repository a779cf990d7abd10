/**
 * Reading protobuf-JSON objects as protobuf's own JSON parsers do: a field may be spelled in
 * lowerCamelCase (what OTLP/JSON mandates) or as the proto field name in snake_case (what some
 * exporters emit), and `null` means "not set".
 */

export type JsonObject = Record<string, unknown>;

/** Input of the wrong shape. `path` is filled in by the walker when the thrower does not know it. */
export class OtlpShapeError extends Error {
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const snakeNames = new Map<string, string>();
/** A JSON name's proto field name: `startTimeUnixNano` → `start_time_unix_nano`. */
export function snakeCase(camel: string): string {
  let s = snakeNames.get(camel);
  if (s === undefined) {
    s = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeNames.set(camel, s);
  }
  return s;
}

/** The field under its camelCase or snake_case name, with the key it was found under; undefined when unset. */
export function field(obj: JsonObject, camel: string): { key: string; value: unknown } | undefined {
  if (Object.hasOwn(obj, camel) && obj[camel] !== null) return { key: camel, value: obj[camel] };
  const snake = snakeCase(camel);
  if (snake !== camel && Object.hasOwn(obj, snake) && obj[snake] !== null) {
    return { key: snake, value: obj[snake] };
  }
  return undefined;
}

/** A repeated field: its elements and the path of the field itself; unset means empty. */
export function repeated(obj: JsonObject, camel: string, path: string): { items: unknown[]; path: string } {
  const f = field(obj, camel);
  if (f === undefined) return { items: [], path: join(path, camel) };
  const at = join(path, f.key);
  if (!Array.isArray(f.value)) throw new OtlpShapeError(`expected an array, got ${kindOf(f.value)}`, at);
  return { items: f.value, path: at };
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
