// Start-up of commands that need no etcd, against `node -e 0` measured in the same run
// (PRODUCT.md §10: ≤ 1.3×). Runs alternate so machine drift hits every command alike.
//
//   npm run build && node bench/startup.js [rounds, default 11]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, median, timeCommand } from './lib.js';

const ROUNDS = Number(process.argv[2] ?? 11);
const dir = mkdtempSync(join(tmpdir(), 'otlpctl-bench-'));
const store = join(dir, 'demo.json');
try {
  await timeCommand(process.execPath, [BIN, 'demo', '--file', store, '-q']);
  const cases = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'otlpctl --version': [process.execPath, [BIN, '--version']],
    'otlpctl completion bash': [process.execPath, [BIN, 'completion', 'bash']],
    // What a shell runs on every Tab at a node id (issue 12): must feel instant.
    'otlpctl --file demo __ids nodes': [process.execPath, [BIN, '--file', store, '__ids', 'nodes']],
    'otlpctl --file demo locate <id> -o json': [
      process.execPath,
      [BIN, '--file', store, 'locate', '4bf92f3577b34da6a3ce929d0e0e4736', '--at', 'now-1h', '-o', 'json'],
    ],
  };
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, [cmd, args]] of Object.entries(cases))
      times[name].push((await timeCommand(cmd, args)).ms);
  }
  const base = median(times['node -e 0']);
  console.log(
    `start-up, median of ${ROUNDS} alternating runs (target ≤ 1.3× node -e 0 for commands needing no etcd):`,
  );
  for (const [name, t] of Object.entries(times)) {
    console.log(`  ${name.padEnd(42)} ${fmt(median(t), 1).padStart(7)} ms  ${fmt(median(t) / base, 2)}×`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
