// The file store under the commands that write thousands of times (PRODUCT.md §10: `rebalance
// apply` of ~1,300 moves on the demo ≤ 5 s), with `node -e 0` timed in the same run as a gauge of
// how loaded the machine is. Each figure is the median of the runs.
//
//   npm run build && node bench/file-store.js [runs, default 3]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, median, timeCommand } from './lib.js';

const RUNS = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'otlpctl-bench-file-'));
const demo = join(dir, 'demo.json');
const store = join(dir, 'store.json');
const plan = join(dir, 'plan.json');
const cli = (...args) => timeCommand(process.execPath, [BIN, '--file', store, ...args]);
try {
  await timeCommand(process.execPath, [BIN, 'demo', '--file', demo, '-q']);
  copyFileSync(demo, store);
  await cli('nodes', 'set-state', 'node-06', 'Draining');
  await cli('rebalance', 'plan', '--max-moves', '1300', '--out', plan, '-q');
  copyFileSync(store, demo); // the drained demo, before the plan is applied
  const times = { 'node -e 0': [], 'rebalance apply (1,300 moves)': [], 'failover node-05': [] };
  for (let i = 0; i < RUNS; i++) {
    times['node -e 0'].push((await timeCommand(process.execPath, ['-e', '0'])).ms);
    copyFileSync(demo, store);
    times['rebalance apply (1,300 moves)'].push((await cli('rebalance', 'apply', plan, '--yes', '-q')).ms);
    copyFileSync(demo, store);
    times['failover node-05'].push((await cli('failover', 'node-05', '-q')).ms);
  }
  console.log(`file store on the demo, median of ${RUNS} runs (target: rebalance apply ≤ 5 s):`);
  for (const [name, t] of Object.entries(times))
    console.log(`  ${name.padEnd(32)} ${fmt(median(t) / 1000, 2).padStart(7)} s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
