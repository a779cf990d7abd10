import { PreconditionError, UsageError } from '../errors.js';
import { numberIn } from '../schema.js';
import { planChecksum } from './checksum.js';
import { LOAD_MEASURES, PLAN_VERSION, type RebalanceMove, type RebalancePlan } from './types.js';

/**
 * Reads a plan file back: the shape is checked field by field (exit 2, naming the field), then the
 * version and the checksum (exit 3: a plan from another otlpctl, or edited since it was made).
 */

/** `--target`, the allowed distance from the fair share, as a plan records it. */
export const PLAN_TARGET = numberIn(0, 10);

export const PLAN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parsePlan(text: string, where: string): RebalancePlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${where}: not JSON; expected a plan written by 'otlpctl rebalance plan --out'`);
  }
  if (!isObj(raw)) throw new UsageError(`${where}: expected a JSON object (a rebalance plan)`);
  const bad = (field: string, expected: string) =>
    new UsageError(`${where}: ${field} is ${JSON.stringify(raw[field]) ?? 'missing'}, expected ${expected}`);
  if (raw.version !== PLAN_VERSION) {
    if (isCount(raw.version))
      throw new PreconditionError(
        `${where}: plan format version ${raw.version}; this otlpctl reads version ${PLAN_VERSION}`,
      );
    throw bad('version', `${PLAN_VERSION}`);
  }
  const need = (field: string, ok: (v: unknown) => boolean, expected: string) => {
    if (!ok(raw[field])) throw bad(field, expected);
  };
  need('id', (v) => typeof v === 'string' && PLAN_ID.test(v), 'a plan id');
  need('created_at', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)), 'an RFC 3339 time');
  need('prefix', (v) => typeof v === 'string' && v.startsWith('/'), 'a key prefix such as /otlp');
  need('revision', isCount, 'a store revision');
  need('config_hash', (v) => typeof v === 'string' && v.length > 0, 'a config hash');
  need('by', (v) => LOAD_MEASURES.includes(v as never), LOAD_MEASURES.join('|'));
  for (const f of ['target', 'threshold', 'skew_before', 'skew_after', 'load_moved', 'lower_bound_load'])
    need(f, isNum, 'a number');
  need('bytes_moved', isCount, 'a byte count');
  need('lower_bound_bytes', isCount, 'a byte count');
  for (const f of ['under_before', 'under_after']) need(f, isNum, 'a number');
  need(
    'replace_down',
    (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
    'an array of node ids',
  );
  for (const f of ['before', 'after', 'fair'])
    need(f, (v) => isObj(v) && Object.values(v).every(isNum), 'an object of node → load');
  need('notes', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), 'an array of strings');
  need('checksum', (v) => typeof v === 'string' && v.length > 0, 'a checksum');
  need('moves', Array.isArray, 'an array of moves');
  (raw.moves as unknown[]).forEach((m, i) => checkMove(m, `${where}: moves[${i}]`));
  const plan = raw as unknown as RebalancePlan;
  if (planChecksum(plan) !== plan.checksum)
    throw new PreconditionError(
      `${where}: checksum mismatch; the plan was changed after it was made (make a new one with 'otlpctl rebalance plan')`,
    );
  return plan;
}

function checkMove(m: unknown, where: string): asserts m is RebalanceMove {
  if (!isObj(m)) throw new UsageError(`${where}: expected an object`);
  const bad = (field: string, expected: string) =>
    new UsageError(`${where}: ${field} is ${JSON.stringify(m[field]) ?? 'missing'}, expected ${expected}`);
  if (typeof m.partition_id !== 'string' || m.partition_id === '' || m.partition_id.includes('/'))
    throw bad('partition_id', 'a partition id');
  if (m.kind !== 'replica' && m.kind !== 'leader') throw bad('kind', 'replica|leader');
  for (const f of ['from', 'to'])
    if (typeof m[f] !== 'string' || !NODE_ID.test(m[f])) throw bad(f, 'a node id');
  if (m.from === m.to) throw bad('to', 'a node other than from');
  if (!isCount(m.bytes)) throw bad('bytes', 'a byte count');
  if (typeof m.leader_change !== 'boolean') throw bad('leader_change', 'true or false');
  if (!isCount(m.mod_revision) || m.mod_revision < 1) throw bad('mod_revision', 'a positive revision');
}
