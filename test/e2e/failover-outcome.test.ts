/**
 * `failover` when a write's answer is lost (the etcd client's OutcomeUnknownError), in-process on
 * the memory store with the fault injected at the contract: the summary never claims a move it has
 * not seen, says "outcome unknown" for those it could not read back, and such a run never exits 0.
 * (The same on a killed real etcd: test/e2e/etcd-outage.test.ts.)
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { failover } from '../../src/commands/failover.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { ExitCode, OtlpctlError, OutcomeUnknownError, StoreUnavailableError } from '../../src/core/errors.js';
import type { Compare, Op, TxnResult } from '../../src/store/contract.js';
import { MemoryStore } from '../../src/store/memory.js';
import { inProcessContext } from '../harness/context.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const IDS = Array.from({ length: 10 }, (_, i) => `partition_498827_${String(i).padStart(4, '0')}`);

type Fault = 'applied, answer lost' | 'lost before etcd' | 'answer lost, then etcd gone';

/** A memory store whose first write of partitions, once armed, fails as `fault` says. */
class FaultyStore extends MemoryStore {
  partitionWrites = 0;
  armed = false;
  private faulted = false;
  private gone = false;
  constructor(private readonly fault: Fault) {
    super({ clock: () => NOW });
  }
  override async get(key: string) {
    if (this.gone) throw new StoreUnavailableError('etcd at x did not answer within 3s (command timeout)');
    return super.get(key);
  }
  override async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    if (this.gone) throw new StoreUnavailableError('etcd at x did not answer within 3s (command timeout)');
    const writesPartitions = this.armed && success.some((op) => op.key.includes('/partitions/'));
    if (writesPartitions) this.partitionWrites++;
    if (!writesPartitions || this.faulted) return super.txn(compares, success, failure);
    this.faulted = true;
    if (this.fault !== 'lost before etcd') await super.txn(compares, success, failure);
    if (this.fault === 'answer lost, then etcd gone') this.gone = true;
    throw new OutcomeUnknownError(
      'etcd at x failed during txn: no answer; the write may or may not have been applied',
    );
  }
}

async function seeded(fault: Fault): Promise<FaultyStore> {
  const store = new FaultyStore(fault);
  const ops: Op[] = [{ type: 'put', key: '/otlp/config', value: JSON.stringify(DEFAULT_CONFIG) }];
  for (const id of ['a', 'b', 'c'])
    ops.push({
      type: 'put',
      key: `/otlp/nodes/${id}`,
      value: JSON.stringify({
        node_id: id,
        location: { region: 'r', availability_zone: 'z', data_center: id },
        weight: 1,
        state: 'Up',
      }),
    });
  for (const id of IDS)
    ops.push({
      type: 'put',
      key: `/otlp/partitions/${id}`,
      value: JSON.stringify({
        partition_id: id,
        nodes: ['a', 'b', 'c'],
        leader: 'a',
        state: 'Active',
        size_bytes: 1,
        record_count: 1,
        created_at: '2026-11-27T11:00:00Z',
        updated_at: '2026-11-27T11:00:00Z',
      }),
    });
  await store.txn([], ops);
  store.armed = true;
  return store;
}

async function run(store: MemoryStore): Promise<{ code: ExitCode | Error; report: Record<string, unknown> }> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c) => (text += c));
  const ctx = inProcessContext(store, NOW, { stdout });
  const code = await failover('a', { dryRun: false }, ctx).catch((err: Error) => err);
  return { code, report: JSON.parse(text) };
}

async function leaders(store: MemoryStore): Promise<string[]> {
  const out: string[] = [];
  for (const id of IDS) out.push(JSON.parse((await store.get(`/otlp/partitions/${id}`))!.value).leader);
  return out;
}

describe('failover after a write whose answer was lost', () => {
  it('reads the batch back: a move that landed counts as moved and is not written again', async () => {
    const store = await seeded('applied, answer lost');
    const { code, report } = await run(store);
    expect(code).toBe(ExitCode.Ok);
    expect((report.moved as unknown[]).length).toBe(IDS.length);
    expect(report.outcome_unknown).toEqual([]);
    expect(store.partitionWrites).toBe(1);
    expect(await leaders(store)).toEqual(IDS.map(() => 'b'));
  });

  it('reads the batch back: a move that never landed is made, once', async () => {
    const store = await seeded('lost before etcd');
    const { code, report } = await run(store);
    expect(code).toBe(ExitCode.Ok);
    expect((report.moved as unknown[]).length).toBe(IDS.length);
    expect(report.outcome_unknown).toEqual([]);
    expect(store.partitionWrites).toBe(1 + IDS.length);
    expect(await leaders(store)).toEqual(IDS.map(() => 'b'));
  });

  it('says "outcome unknown" for what it could not read back, and exits non-zero', async () => {
    const store = await seeded('answer lost, then etcd gone');
    const { code, report } = await run(store);
    expect(code).toBeInstanceOf(OtlpctlError);
    expect((code as OtlpctlError).exitCode).not.toBe(ExitCode.Ok);
    expect((code as Error).message).toMatch(/10 move\(s\) were sent without an answer \(outcome unknown\)/);
    expect(report).toMatchObject({ stopped: 'store unavailable', moved: [], outcome_unknown: IDS });
  });
});
