import { defineConfig } from 'vitest/config';

// The real-coderd tier: real coderd servers (built by
// test/coderd/build-coderd.sh) in a loopback-only network namespace, with
// PostgreSQL and a real control plane, started once per run (global setup).
// CWO_CODERD_VERSION picks the version; npm run test:coderd runs one.
export default defineConfig({
  test: {
    include: ['test/coderd/**/*.test.ts'],
    globalSetup: ['test/coderd/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One pair of servers for the run: files run one after another, each
    // with owners and names of its own.
    fileParallelism: false,
  },
});
