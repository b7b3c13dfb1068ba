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

/**
 * Every key an options type accepts, as an object with one `true` per key, so TypeScript checks
 * the list is complete (a missing key fails to compile) and has no extras (excess property check).
 *
 * @example const MLP_OPTION_KEYS: KnownKeys<MlpOptions> = { hiddenSizes: true, activation: true, seed: true };
 */
export type KnownKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Checks that `value` (an options object) is a plain object whose keys are all among
 * `validKeys`, and returns it. `undefined` stands for no options. A misspelt or unknown option is
 * refused rather than ignored, so `new Mlp({ hidden: 100 })` does not build the default network.
 *
 * @throws {InvalidArgumentError} naming the unknown keys and listing the valid ones.
 * @example requireKnownKeys('Mlp', 'options', options, MLP_OPTION_KEYS);
 */
export function requireKnownKeys<T extends object>(
  caller: string,
  argument: string,
  value: T | undefined,
  validKeys: Readonly<Record<string, true>>,
): T | undefined {
  if (value === undefined) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be an object of options; received ${describeValue(value)}.`,
    );
  }
  const unknown = Object.keys(value).filter((key) => !Object.prototype.hasOwnProperty.call(validKeys, key));
  if (unknown.length > 0) {
    const valid = Object.keys(validKeys);
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: unknown ${unknown.length === 1 ? 'option' : 'options'} ${unknown.map((key) => `'${key}'`).join(', ')} in ${argument}. ` +
        `Valid options: ${valid.length === 0 ? 'none' : valid.map((key) => `'${key}'`).join(', ')}.`,
    );
  }
  return value;
}

/**
 * Numbers in decimal notation, with an optional exponent: `20`, `-1`, `0.1`, `.5`, `1e-3`.
 * `Number()` also reads `0x10`, `0b1`, `0o7`, `Infinity` and `''` (as 0), which a flag or an
 * environment variable never means.
 */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads `text` (a flag's value, an environment variable) as a number written in decimal notation,
 * surrounding spaces allowed; anything else (hex, binary, octal, `Infinity`, an empty string,
 * words) is NaN, which every `require*` validator refuses. The one parser of numbers given as text.
 *
 * @example parseDecimal('0.5'); // 0.5
 * @example parseDecimal('0x2'); // NaN
 */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** Whether `text` is a number `Number()` reads that is not written in decimal (`0x2`, `0b1`, `0o7`). */
export function isNonDecimalNumber(text: string): boolean {
  const trimmed = text.trim();
  return trimmed !== '' && !DECIMAL.test(trimmed) && Number.isFinite(Number(trimmed));
}

/**
 * Reads a positive whole number from the environment variable `name` (decimal notation only, at
 * most `max`, with `reason` saying why in the refusal); undefined when it is unset or empty.
 *
 * @throws {InvalidArgumentError} naming the variable, what it holds and what it accepts.
 * @example const threads = environmentInteger('loadNativeEngine', 'SDAE_NATIVE_THREADS', process.env.SDAE_NATIVE_THREADS, 64, 'at most 4 threads per core');
 */
export function environmentInteger(
  caller: string,
  name: string,
  text: string | undefined,
  max: number,
  reason: string,
): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = parseDecimal(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      name,
      text,
      `${caller}: ${name} must be a whole number from 1 to ${max} in decimal notation (${reason}); it holds ${describeValue(text)}. ` +
        `Set it to such a number, or unset it for the default.`,
    );
  }
  return value;
}
