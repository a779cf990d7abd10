import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // etcd-backed and end-to-end tests start real processes; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One shared single-member etcd for the run; failover, TLS and auth tests start their own.
    globalSetup: ['test/harness/etcd-global.ts'],
  },
});
