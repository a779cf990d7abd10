// In-process locates through the library's TraceRouter: hash of the trace id + memoised route.
// One hash per process, so the call sites stay monomorphic as in a real service.
//
//   npm run build && node bench/router.js xxh64|rust-siphash13 [ids]   → prints locates/s
import { randomBytes } from 'node:crypto';
import { DEFAULT_CONFIG } from '../dist/core/config.js';
import { PartitionLocator } from '../dist/core/locator.js';
import { TraceRouter } from '../dist/core/trace-router.js';

const hash = process.argv[2] ?? 'xxh64';
const N = Number(process.argv[3] ?? 1_000_000);
const nodes = Array.from({ length: 12 }, (_, i) => ({
  node_id: `node-${i + 1}`,
  weight: 1,
  state: 'Up',
  location: { region: '', availability_zone: '', data_center: '' },
}));
const router = new TraceRouter(new PartitionLocator({ ...DEFAULT_CONFIG, hash }, nodes));
// Ids as ASCII hex (how they arrive), times spread over the last 24 hours.
const hex = Buffer.from(randomBytes(16 * N).toString('hex'), 'latin1');
const now = Date.now();
const times = new Float64Array(N).map(() => now - Math.floor(Math.random() * 24 * 3600) * 1000);
const rates = [];
let sink = 0;
for (let rep = 0; rep < 5; rep++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    sink += router.placementIfReady(router.bucketOf(times[i]), router.hashPartitionOfHex(hex, 32 * i));
  }
  rates.push(N / (Number(process.hrtime.bigint() - t0) / 1e9));
}
if (sink < 0) throw new Error('unreachable');
console.log(JSON.stringify({ hash, locates_per_s: Math.round(rates.sort((a, b) => a - b)[2]) }));
