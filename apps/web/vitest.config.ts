import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

// Unit tests (src) run in Node; the end-to-end tests (e2e) drive the built app in Chromium, one
// file at a time since they share the machine's two cores with the browser.
export default mergeConfig(sharedTestConfig, {
  test: { include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000, fileParallelism: false },
});
