// Runs before each test file: registers backends and gradients, and selects cpu so that tests
// outside describeBackends never meet a backend that is still initialising.
import { selectBackend } from '@sdae/backend';

await selectBackend({ backend: 'cpu' });
