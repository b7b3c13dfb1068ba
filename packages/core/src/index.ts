// @sdae/core: what every sdae package needs and nothing else.
export { SdaeError, InvalidArgumentError, assert } from './errors';
export {
  describeValue,
  requirePositiveInteger,
  requireNonNegativeInteger,
  requireNumber,
  requireBoolean,
  resolveChoice,
  requireKnownKeys,
  parseDecimal,
  isNonDecimalNumber,
  environmentInteger,
} from './validate';
export type { NumberRange, KnownKeys } from './validate';
export { Random, deriveSeed, SEED_RANGE, requireSeed } from './random';
export { crc32, crc32OfCodes } from './checksum';
