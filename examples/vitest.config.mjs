import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.ts';

// The browser quick start, built and driven in Chromium (examples/browser/browser.test.mjs).
export default mergeConfig(sharedTestConfig, {
  test: { include: ['browser/**/*.test.mjs'], testTimeout: 300_000, hookTimeout: 300_000, fileParallelism: false },
});
