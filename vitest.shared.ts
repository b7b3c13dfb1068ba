import { defineConfig } from 'vitest/config';

/**
 * The vitest settings every package shares: tests beside the code, the default reporter for
 * people and a JSON report that `scripts/run.mjs` sums into the `tests: N passed, N failed` line.
 */
export const sharedTestConfig = defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.reports/vitest.json' },
    testTimeout: 60_000,
    // Hooks load real MNIST (55 MB parsed) while turbo runs other packages' tests on the same 2 cores.
    hookTimeout: 60_000,
    pool: 'forks',
    // Unit tests run tfjs's single-threaded wasm: turbo runs two packages' tests at once on two
    // cores. packages/backend/src/wasm-threads.test.ts starts the threaded build on purpose.
    env: { SDAE_WASM_THREADS: '1' },
  },
});
