import { mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

// Every test file starts on an initialised cpu backend; describeBackends switches to the others.
export default mergeConfig(sharedTestConfig, { test: { setupFiles: ['./src/test-setup.ts'] } });
