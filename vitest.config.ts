import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The e2e tier needs a real control plane (npm run test:e2e), the
    // real-coderd tier real coderd servers (npm run test:coderd).
    exclude: [...configDefaults.exclude, 'test/e2e/**', 'test/coderd/**'],
    // Hang guards, not budgets: on a loaded 2-core machine (CI builds the Go
    // test binaries beside this tier) the git-backed sync tests took over 30 s.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores on CI; integration tests start HTTP servers on loopback.
    pool: 'forks',
  },
});
