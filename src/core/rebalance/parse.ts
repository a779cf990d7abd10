import * as v from 'valibot';
import { CONFIG_CHECKS } from '../config.js';
import { PreconditionError, UsageError } from '../errors.js';
import { PLAN_TARGET } from '../bounds.js';
import { count, isJsonObject, oneOf, problem, text, type Check } from '../schema.js';
import { planChecksum } from './checksum.js';
import { LOAD_MEASURES, PLAN_VERSION, type RebalanceMove, type RebalancePlan } from './types.js';

/**
 * Reads a plan file back: the shape is checked field by field (exit 2, naming the field), then the
 * version and the checksum (exit 3: a plan from another otlpctl, or edited since it was made).
 */

export const PLAN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const NUMBER = v.pipe(v.number('a number'), v.finite('a number'));
const BYTES = count('a byte count');
const NODE = text('a node id', NODE_ID);
const LOADS = v.record(v.string(), NUMBER, 'an object of node → load');
const STRINGS = (expected: string) => v.array(v.string(expected), expected);

const MOVE = v.pipe(
  v.looseObject(
    {
      partition_id: text('a partition id', /^[^/]+$/),
      kind: oneOf(['replica', 'leader']),
      from: NODE,
      to: NODE,
      bytes: BYTES,
      leader_change: v.boolean('true or false'),
      mod_revision: v.pipe(count('a positive revision'), v.minValue(1, 'a positive revision')),
    } satisfies { [F in keyof RebalanceMove]: Check<RebalanceMove[F]> },
    'an object (a move)',
  ),
  v.forward(
    v.check((m) => m.from !== m.to, 'a node other than from'),
    ['to'],
  ),
);

const PLAN = v.looseObject(
  {
    version: v.literal(PLAN_VERSION, `${PLAN_VERSION}`),
    id: text('a plan id', PLAN_ID),
    created_at: v.pipe(
      v.string('an RFC 3339 time'),
      v.check((t) => !Number.isNaN(Date.parse(t)), 'an RFC 3339 time'),
    ),
    prefix: text('a key prefix such as /otlp', /^\//),
    revision: count('a store revision'),
    config_hash: text('a config hash'),
    by: oneOf(LOAD_MEASURES),
    target: PLAN_TARGET,
    threshold: CONFIG_CHECKS.imbalance_threshold,
    moves: v.array(MOVE, 'an array of moves'),
    before: LOADS,
    after: LOADS,
    skew_before: NUMBER,
    skew_after: NUMBER,
    under_before: NUMBER,
    under_after: NUMBER,
    fair: LOADS,
    replace_down: STRINGS('an array of node ids'),
    bytes_moved: BYTES,
    lower_bound_bytes: BYTES,
    load_moved: NUMBER,
    lower_bound_load: NUMBER,
    notes: STRINGS('an array of strings'),
    checksum: text('a checksum'),
  } satisfies { [F in keyof RebalancePlan]: Check<RebalancePlan[F]> },
  'a JSON object (a rebalance plan)',
);

export function parsePlan(text: string, where: string): RebalancePlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${where}: not JSON; expected a plan written by 'otlpctl rebalance plan --out'`);
  }
  // Another format version is a plan from another otlpctl, not a bad file (exit 3, not 2).
  if (isJsonObject(raw) && raw.version !== PLAN_VERSION && v.is(count(), raw.version))
    throw new PreconditionError(
      `${where}: plan format version ${raw.version}; this otlpctl reads version ${PLAN_VERSION}`,
    );
  const bad = problem(PLAN, raw, where);
  if (bad !== undefined) throw new UsageError(bad);
  const plan = raw as RebalancePlan; // checked by PLAN
  if (planChecksum(plan) !== plan.checksum)
    throw new PreconditionError(
      `${where}: checksum mismatch; the plan was changed after it was made (make a new one with 'otlpctl rebalance plan')`,
    );
  return plan;
}
