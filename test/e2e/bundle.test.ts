import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedEtcdEndpoint, uniquePrefix } from '../harness/etcd-shared.js';
import { spawnCli, tempDir } from '../helpers/cli.js';

// bin/otlpctl.js runs the bundle built by scripts/bundle.mjs (needs `npm run build`). A cache V8
// rejects still works, only slower, so nothing else would notice it breaking.
const root = new URL('../..', import.meta.url).pathname;

describe('the CLI bundle', () => {
  it('loads with the code cache made at build time accepted', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', "process.stdout.write(String(require('./bin/load.js').loadBundle().cacheRejected))"],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out).toBe('false');
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
    expect((await spawnCli(['--version'])).stdout.trim()).toBe(version);
  });

  it('finds the modules it leaves in node_modules (cli-table3 for tables)', async () => {
    const { file, cleanup } = tempDir();
    try {
      expect((await spawnCli(['demo', '--file', file, '-q'])).code).toBe(0);
      const r = await spawnCli(['--file', file, 'nodes', 'list', '-o', 'table']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^┌─+┬/);
      expect(r.stdout).toContain('│ node-01 │');
    } finally {
      cleanup();
    }
  });

  it('writes to etcd through the bundled client and protobuf runtime', async () => {
    // An import() left in the bundle fails here only once the code cache is used.
    const prefix = uniquePrefix().replace(/\/$/, '');
    const args = ['--endpoints', sharedEtcdEndpoint(), '--prefix', prefix];
    const r = await spawnCli([...args, 'init', '--retention-days', '9', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const added = await spawnCli([...args, 'nodes', 'add', 'node-1', '-o', 'json']);
    expect(added.code).toBe(0);
    const listed = await spawnCli([...args, 'nodes', 'list', '-o', 'json']);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ node_id: 'node-1' }]);
  });
});
