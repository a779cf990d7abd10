import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Compare, KeyValue, Lease, MetadataStore, Op } from '../../src/store/contract.js';
import { FileStore } from '../../src/store/file/store.js';
import { MemoryStore } from '../../src/store/memory.js';
import { pagesOf } from '../contract/suite.js';

// The file store against the memory store (the model of etcd's semantics) over random sequences of
// transactions, leases, time passing, and the store being closed (compacting) and reopened.

const scratch = await mkdtemp(join(tmpdir(), 'otlpctl-file-model-'));
let n = 0;
afterAll(() => rm(scratch, { recursive: true, force: true }));

const key = fc.constantFrom('/a', '/b', '/b/c', '/c', '/\u00e9', '/p/1', '/p/2');
const value = fc.string({ maxLength: 5 });
const step = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key, value, leased: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), key }),
  fc.record({ kind: fc.constant('cas' as const), key, value, stale: fc.boolean() }),
  fc.record({ kind: fc.constant('grant' as const), ttl: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('revoke' as const) }),
  fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 15 }) }),
  fc.record({ kind: fc.constant('reopen' as const), compact: fc.boolean() }),
);

const listing = async (s: MetadataStore, prefix: string): Promise<KeyValue[]> =>
  (await pagesOf(s.range(prefix, { pageSize: 2 }))).flat();

describe('file store vs memory store', () => {
  it('answers every read alike after any sequence of writes, leases, time and reopening', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        let now = 1_700_000_000_000;
        const clock = () => now;
        const path = join(scratch, `store-${n++}.json`);
        const model = new MemoryStore({ clock });
        let file = new FileStore(path, { clock });
        const leases: { file: Lease; model: Lease }[] = [];
        try {
          for (const s of steps) {
            const lease = leases[leases.length - 1];
            if (s.kind === 'put' || s.kind === 'delete' || s.kind === 'cas') {
              const op = (id?: string): Op =>
                s.kind === 'delete'
                  ? { type: 'delete', key: s.key }
                  : { type: 'put', key: s.key, value: s.value, ...(id ? { lease: id } : {}) };
              const leased = s.kind === 'put' && s.leased && lease;
              const compares = async (store: MetadataStore): Promise<Compare[]> => {
                if (s.kind !== 'cas') return [];
                const mod = (await store.get(s.key))?.modRevision ?? 0;
                return [{ key: s.key, target: 'mod', modRevision: s.stale ? mod + 1 : mod }];
              };
              const [a, b] = await Promise.all([
                file
                  .txn(await compares(file), [op(leased ? lease.file.id : undefined)])
                  .catch((e: Error) => e.message),
                model
                  .txn(await compares(model), [op(leased ? lease.model.id : undefined)])
                  .catch((e: Error) => e.message),
              ]);
              expect(typeof a).toBe(typeof b);
              if (typeof a !== 'string') expect(a).toEqual(b);
            } else if (s.kind === 'grant') {
              const [f, m] = [await file.grantLease(s.ttl), await model.grantLease(s.ttl)];
              model.abandonLease(m.id); // expires ttl from now by the clock, as the file store's without renewal
              leases.push({ file: f, model: m });
            } else if (s.kind === 'revoke' && lease) {
              leases.pop();
              await Promise.all([lease.file.revoke(), lease.model.revoke()]);
            } else if (s.kind === 'advance') {
              now += s.seconds * 1000;
              // etcd (and the model) revoke a lapsed lease by themselves; the file store's next writer does.
              await file.txn([], []);
            } else if (s.kind === 'reopen') {
              if (s.compact) await file.close();
              file = new FileStore(path, { clock });
            }
            expect(await file.revision()).toBe(await model.revision());
            for (const prefix of ['', '/b', '/p/'])
              expect(stripLeases(await listing(file, prefix))).toEqual(
                stripLeases(await listing(model, prefix)),
              );
            for (const k of ['/a', '/b/c', '/\u00e9'])
              expect(strip(await file.get(k))).toEqual(strip(await model.get(k)));
          }
          await file.close();
          expect(stripLeases(await listing(new FileStore(path, { clock }), ''))).toEqual(
            stripLeases(await listing(model, '')),
          );
        } finally {
          await file.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** Lease ids differ between the stores (random vs counted); whether a key has one must not. */
const strip = (kv: KeyValue | undefined) => kv && { ...kv, lease: kv.lease !== undefined };
const stripLeases = (kvs: KeyValue[]) => kvs.map(strip);
