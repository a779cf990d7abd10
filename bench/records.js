// The per-partition check of a listing (`partitions stats`, `list`, `expire` read every stored
// partition): the hand-written one-pass check in src/core/records.ts against the same checks as
// the valibot schema, over a month of partition values (184,320).
//
//   npm run build && node bench/records.js
import * as v from 'valibot';
import { PARTITION_METADATA, readPartitionMetadata } from '../dist/core/records.js';
import { fmt, median } from './lib.js';

const N = 184_320;
const values = [];
for (let i = 0; i < N; i++) {
  const b = 498_000 + Math.floor(i / 256);
  values.push(
    JSON.stringify({
      partition_id: `partition_${b}_${String(i % 256).padStart(4, '0')}`,
      nodes: [`node-${i % 12}`, `node-${(i + 1) % 12}`, `node-${(i + 2) % 12}`],
      leader: `node-${i % 12}`,
      state: 'Active',
      size_bytes: 1_000_000_000 + i,
      record_count: 500_000 + i,
      created_at: '2026-11-27T11:00:00.123456789Z',
      updated_at: '2026-11-27T11:59:59.987654321Z',
    }),
  );
}

const cases = {
  'JSON.parse alone': (s) => JSON.parse(s),
  'JSON.parse + hand check (readPartitionMetadata)': (s) => readPartitionMetadata(s, 'k'),
  'JSON.parse + valibot v.is(PARTITION_METADATA)': (s) => {
    const o = JSON.parse(s);
    if (!v.is(PARTITION_METADATA, o)) throw new Error('bad');
    return o;
  },
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < 7; round++) {
  for (const [name, f] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) f(values[i]);
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const base = median(times['JSON.parse alone']);
console.log(`partition values checked, ${N} values, median of 7 rounds:`);
for (const [name, t] of Object.entries(times))
  console.log(`  ${name.padEnd(48)} ${fmt(median(t), 1).padStart(7)} ms  ${fmt(median(t) / base, 2)}× parse`);
