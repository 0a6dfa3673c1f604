import { defineConfig } from 'vitest/config';

// The e2e tier: one real etcd + kube-apiserver for the whole run (global
// setup), tests isolated by namespace. Binaries come from
// test/control-plane/build-binaries.sh (npm run test:e2e runs it first).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One control plane on two cores: files run one after another.
    fileParallelism: false,
  },
});
