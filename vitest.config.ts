import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests use real files, real LanceDB and spawned CLIs: give them room on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'scratch/**'],
    pool: 'forks',
  },
});
