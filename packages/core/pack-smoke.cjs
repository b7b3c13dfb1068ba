// Runs in a fresh project where the packed tarball is installed: the CJS build on its own.
const { InvalidArgumentError, SdaeError, resolveChoice } = require('@sdae/core');

try {
  resolveChoice('smoke', 'order', 'random', ['sequential', 'shuffled']);
  throw new Error('resolveChoice accepted an unknown value');
} catch (error) {
  if (!(error instanceof InvalidArgumentError) || !SdaeError.isInstance(error) || error.argument !== 'order') throw error;
}
