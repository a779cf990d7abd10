import { describe, expect, it } from 'vitest';
import { PreconditionError, UsageError } from '../../src/core/errors.js';
import { parsePlan } from '../../src/core/rebalance/index.js';
import { GB, node, parts, plan, n4 } from '../helpers/rebalance.js';

/** The plan file: its fields, checksum, and what reading it back refuses. */

describe('the plan file', () => {
  const p = plan({
    nodes: [...n4, node('e')],
    partitions: parts([
      [['a', 'b'], 10, GB],
      [['c', 'd'], 10, GB],
    ]),
  });
  const text = JSON.stringify(p, null, 2);

  it('has the fields of PRODUCT.md §9 in order, an id from its time, and a checksum', () => {
    expect(Object.keys(p).slice(0, 14)).toEqual([
      'version',
      'id',
      'created_at',
      'revision',
      'config_hash',
      'by',
      'target',
      'moves',
      'before',
      'after',
      'skew_before',
      'skew_after',
      'bytes_moved',
      'lower_bound_bytes',
    ]);
    expect(p.id).toMatch(/^20261127T120000Z-[0-9a-f]{8}$/);
    expect(p.checksum).toMatch(/^xxh64:[0-9a-f]{16}$/);
    expect(p.moves[0]).toEqual({
      partition_id: expect.any(String),
      kind: 'replica',
      from: expect.any(String),
      to: 'e',
      bytes: GB,
      leader_change: expect.any(Boolean),
      mod_revision: 7,
    });
  });

  it('reads back, whatever the formatting', () => {
    expect(parsePlan(text, 'f')).toEqual(p);
    expect(parsePlan(JSON.stringify(p), 'f')).toEqual(p);
  });

  it.each<
    [string, (o: Record<string, unknown>) => void, typeof UsageError | typeof PreconditionError, RegExp]
  >([
    [
      'an edited move',
      (o) => ((o.moves as { to: string }[])[0]!.to = 'd'),
      PreconditionError,
      /checksum mismatch/,
    ],
    ['an edited target', (o) => (o.target = 0.5), PreconditionError, /checksum mismatch/],
    ['another version', (o) => (o.version = 2), PreconditionError, /version 2; this otlpctl reads version 1/],
    ['a missing field', (o) => delete o.before, UsageError, /before is missing, expected an object/],
    [
      'a bad move',
      (o) => ((o.moves as { bytes: unknown }[])[0]!.bytes = -1),
      UsageError,
      /field moves\[0\]\.bytes is -1, expected a byte count/,
    ],
    [
      'a bad node id',
      (o) => ((o.moves as { to: unknown }[])[0]!.to = 'a/b'),
      UsageError,
      /field moves\[0\]\.to is "a\/b", expected a node id/,
    ],
  ])('refuses %s', (_name, edit, cls, msg) => {
    const o = JSON.parse(text) as Record<string, unknown>;
    edit(o);
    const err = (() => {
      try {
        parsePlan(JSON.stringify(o), 'plan.json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(cls);
    expect((err as Error).message).toMatch(msg);
  });

  it.each([
    ['not json', '{'],
    ['not an object', '[]'],
  ])('refuses %s (exit 2)', (_n, t) => {
    expect(() => parsePlan(t, 'plan.json')).toThrow(UsageError);
  });
});
