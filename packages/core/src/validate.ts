import { InvalidArgumentError } from './errors';

/** Shows a received value in an error message: strings quoted, NaN and arrays readable. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  return Object.prototype.toString.call(value);
}

/**
 * Checks that `value` is an integer >= 1 and returns it.
 *
 * @param caller the public function being called, named first in the message.
 * @param argument the parameter name, e.g. `'batchSize'`.
 * @throws {InvalidArgumentError} naming caller and argument when it is not.
 * @example const size = requirePositiveInteger('epochBatches', 'batchSize', options.batchSize);
 */
export function requirePositiveInteger(caller: string, argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be a whole number >= 1; received ${describeValue(value)}.`,
    );
  }
  return value;
}

/** Checks that `value` is an integer >= 0 and returns it; see {@link requirePositiveInteger}. */
export function requireNonNegativeInteger(caller: string, argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be a whole number >= 0; received ${describeValue(value)}.`,
    );
  }
  return value;
}

/** The interval a number must lie in; each end is included unless said otherwise. */
export interface NumberRange {
  min?: number;
  max?: number;
  /** @default false */
  excludeMin?: boolean;
  /** @default false */
  excludeMax?: boolean;
}

/**
 * Checks that `value` is a finite number inside `range` and returns it. NaN and infinities are
 * always refused.
 *
 * @throws {InvalidArgumentError} naming caller, argument, the interval and the received value.
 * @example requireNumber('DenoisingAutoencoder', 'corruptionLevel', 0.3, { min: 0, max: 1, excludeMax: true });
 */
export function requireNumber(caller: string, argument: string, value: unknown, range: NumberRange = {}): number {
  const { min, max, excludeMin = false, excludeMax = false } = range;
  const inside =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || (excludeMin ? value > min : value >= min)) &&
    (max === undefined || (excludeMax ? value < max : value <= max));
  if (!inside) {
    const low = min === undefined ? '(-inf' : `${excludeMin ? '(' : '['}${min}`;
    const high = max === undefined ? '+inf)' : `${max}${excludeMax ? ')' : ']'}`;
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be a finite number in ${low}, ${high}; received ${describeValue(value)}.`,
    );
  }
  return value;
}

/**
 * Resolves a string identifier (`'sigmoid'`, `'theano'`, `'shuffled'`) against the valid ones.
 *
 * @throws {InvalidArgumentError} listing every valid value when `value` is not one of them.
 * @example const order = resolveChoice('epochBatches', 'order', 'shuffled', ['sequential', 'shuffled']);
 */
export function resolveChoice<T extends string>(caller: string, argument: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be one of ${choices.map((choice) => `'${choice}'`).join(', ')}; ` + `received ${describeValue(value)}.`,
    );
  }
  return value as T;
}

/**
 * Checks that `value` is `true` or `false` and returns it.
 *
 * @throws {InvalidArgumentError} naming caller and argument otherwise.
 * @example const tied = requireBoolean('DenoisingAutoencoder', 'tiedWeights', options.tiedWeights ?? true);
 */
export function requireBoolean(caller: string, argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(argument, value, `${caller}: ${argument} must be true or false; received ${describeValue(value)}.`);
  }
  return value;
}
