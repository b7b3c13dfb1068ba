// @sdae/backend/testing: helpers for the test suites of packages built on @sdae/backend.
export { describeBackends, expectArraysClose, TEST_BACKENDS } from './testing-helpers';
