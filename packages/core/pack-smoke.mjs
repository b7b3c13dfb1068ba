// Runs in a fresh project where the packed tarball is installed. The ESM and CJS builds are two
// copies of the classes (as two installed versions would be): isInstance holds across them.
import { createRequire } from 'node:module';
import { InvalidArgumentError, Random, SdaeError, requirePositiveInteger } from '@sdae/core';

const other = createRequire(import.meta.url)('@sdae/core');
const error = new other.InvalidArgumentError('size', 0, 'smoke: size must be >= 1.');
if (error instanceof SdaeError) throw new Error('expected the CJS copy to be a separate class');
if (!SdaeError.isInstance(error) || !InvalidArgumentError.isInstance(error)) throw new Error('isInstance fails across copies');
try {
  requirePositiveInteger('smoke', 'size', 0);
  throw new Error('requirePositiveInteger accepted 0');
} catch (caught) {
  if (!other.InvalidArgumentError.isInstance(caught)) throw caught;
}
if (new Random(1).next() !== new other.Random(1).next()) throw new Error('the ESM and CJS Random differ');
