// @sdae/backend/testing: helpers for the test suites of this repository's packages built on
// @sdae/backend. A workspace-only entry: it imports vitest, so it is left out of the published
// package (publishConfig.exports and "files"), and vitest stays a dev dependency.
export { describeBackends, expectArraysClose, webgpuSkipReason, TEST_BACKENDS } from './testing-helpers';
