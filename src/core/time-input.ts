import { UsageError } from './errors.js';

/** Parsing of the times and durations people type (PRODUCT.md §9). */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const RELATIVE = /^(?:now)?\s*([+-])\s*(\d+(?:\.\d+)?(?:ms|s|m|h|d|w))$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;
// Unix seconds beyond this are almost certainly milliseconds or nanoseconds typed by mistake.
const MAX_UNIX_SECONDS = 1e11;

/** `90s`, `30m`, `2h`, `7d` (also `ms` and `w`) → milliseconds. */
export function parseDuration(input: string, what = 'duration'): number {
  const m = DURATION.exec(input.trim());
  if (!m) throw new UsageError(`${what} '${input}': expected a duration such as 90s, 30m, 2h or 7d`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** RFC 3339, integer unix seconds, or relative (`now`, `now-2h`, `-30m`) → ms since the epoch. */
export function parseTime(input: string, nowMs: number, what = 'time'): number {
  const s = input.trim();
  if (s === 'now') return nowMs;
  const rel = RELATIVE.exec(s);
  if (rel) {
    const d = parseDuration(rel[2]!, what);
    return rel[1] === '-' ? nowMs - d : nowMs + d;
  }
  if (/^\d+$/.test(s)) {
    const secs = Number(s);
    if (secs > MAX_UNIX_SECONDS) {
      throw new UsageError(
        `${what} '${input}': too large for unix seconds (milliseconds or nanoseconds?); expected seconds, RFC 3339 or now-2h`,
      );
    }
    return secs * 1000;
  }
  const m = RFC3339.exec(s);
  if (m) {
    const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
    if (m[4] !== undefined && zone === undefined) {
      throw new UsageError(
        `${what} '${input}': add a time zone (Z or +01:00); RFC 3339 times are unambiguous`,
      );
    }
    const z = zone === undefined || zone === 'Z' || zone === 'z' ? 'Z' : zone;
    const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac.slice(0, 4)}${z}`);
    // Date.parse rolls 2026-02-30 over to March: compare the fields to refuse it.
    if (
      Number.isFinite(ms) &&
      validFields(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec))
    ) {
      return ms;
    }
  }
  throw new UsageError(
    `${what} '${input}': expected RFC 3339 (2026-01-01T12:00:00Z), unix seconds, or relative (now, now-2h, -30m)`,
  );
}

function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 60;
}
