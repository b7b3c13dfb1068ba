import { InvalidArgumentError as InvalidFlagError } from 'commander';
import {
  InvalidArgumentError,
  isNonDecimalNumber,
  parseDecimal,
  requireNumber,
  requirePositiveInteger,
  requireSeed,
  resolveChoice,
  SEED_RANGE,
  type NumberRange,
} from '@sdae/core';
import { requireDenseLayersFit } from '@sdae/layers';
import { parseLearningRateSchedule, type LearningRateSchedule } from '@sdae/train';

// Flag parsers. @sdae/core's validators decide what is accepted; a refusal becomes commander's
// error, so a bad value is a usage error (exit 2) with "option '--x <n>' argument 'y' is invalid."
// followed by what is expected.

/** A parser of numbers checked by `check` (one of core's validators); `expected` says what it accepts. Decimal notation only (core's `parseDecimal`). */
export function numberParser(expected: string, check: (value: number) => number): (text: string) => number {
  return (text) => {
    if (isNonDecimalNumber(text)) throw new InvalidFlagError(`Expected ${expected}, in decimal notation (such as 16 or 0.5).`);
    try {
      return check(parseDecimal(text));
    } catch (error) {
      if (InvalidArgumentError.isInstance(error)) throw new InvalidFlagError(`Expected ${expected}.`);
      throw error;
    }
  };
}

export function rangeParser(expected: string, range: NumberRange): (text: string) => number {
  return numberParser(expected, (value) => requireNumber('sdae', 'flag', value, range));
}

/**
 * A parser of whole numbers >= 1 and at most `max`: below 1 or not whole it expects "a whole
 * number >= 1"; past `max` it says the bound and `reason`.
 */
export function boundedInteger(max: number, reason: string): (text: string) => number {
  return numberParser('a whole number >= 1', (value) => {
    requirePositiveInteger('sdae', 'flag', value);
    if (value > max) throw new InvalidFlagError(`Expected a whole number from 1 to ${max} (${reason}).`);
    return value;
  });
}

/**
 * A whole number >= 1 and at most 2^53 - 1: a count (epochs, iterations, a batch size) past it
 * cannot be told from its neighbours, so `--epochs 1e300` would not run the epochs it says.
 */
export const positiveInteger = boundedInteger(Number.MAX_SAFE_INTEGER, '2^53 - 1, the largest count kept exactly');

/** A seed: a whole number the random streams keep as given (core's {@link SEED_RANGE}). */
export const seedNumber = numberParser(
  `a whole number from ${SEED_RANGE.min} to ${SEED_RANGE.max} (2^32 - 1: the random streams keep 32 bits of a seed, so 0.5 or 2^32 would train as another seed)`,
  (value) => requireSeed('sdae', '--seed', value),
);

/** Any finite number. */
export const anyNumber = rangeParser('a number', {});
/** A finite number > 0. */
export const positiveNumber = rangeParser('a number > 0', { min: 0, excludeMin: true });
/** A number in [0, 1): corruption levels, momentum. */
export const unitInterval = rangeParser('a number in [0, 1)', { min: 0, max: 1, excludeMax: true });
/** A finite number >= 0. */
export const nonNegativeNumber = rangeParser('a number >= 0', { min: 0 });

/** A learning-rate schedule in @sdae/train's command-line form: `constant`, `step:EPOCHS:FACTOR`, `exponential:GAMMA`, `cosine`. */
export function learningRateSchedule(text: string): LearningRateSchedule {
  try {
    return parseLearningRateSchedule(text, '--lr-schedule');
  } catch (error) {
    if (InvalidArgumentError.isInstance(error)) throw new InvalidFlagError(error.message);
    throw error;
  }
}

/** A parser of one of `choices`; core's `resolveChoice` refuses anything else, naming `flagName` and every choice. */
export function choiceParser<T extends string>(flagName: string, choices: readonly T[]): (text: string) => T {
  return (text) => {
    try {
      return resolveChoice('sdae', flagName, text, choices);
    } catch (error) {
      if (InvalidArgumentError.isInstance(error)) throw new InvalidFlagError(error.message);
      throw error;
    }
  };
}

/** MNIST's pixels and classes: the outer sizes of every dense chain the commands build. */
export const MNIST_INPUTS = 784;
export const MNIST_CLASSES = 10;

/**
 * A parser of layer sizes whose weight matrices can be allocated: `chains(value)` gives the
 * `[input, hidden..., output]` chains the command builds, each checked by @sdae/layers'
 * `requireDenseLayersFit`, so `--hidden 100000000` is a usage error before the data loads.
 */
export function fittingLayers<T>(flagName: string, parse: (text: string) => T, chains: (value: T) => number[][]): (text: string) => T {
  return (text) => {
    const value = parse(text);
    try {
      for (const sizes of chains(value)) requireDenseLayersFit(flagName, flagName, sizes);
    } catch (error) {
      if (InvalidArgumentError.isInstance(error)) throw new InvalidFlagError(error.message);
      throw error;
    }
    return value;
  };
}

/** `--hidden <n>` of a dA: its weight matrix is 784 x n. */
export function daHiddenSize(flagName: string): (text: string) => number {
  return fittingLayers(flagName, positiveInteger, (size) => [[MNIST_INPUTS, size]]);
}

/** A comma-separated list, each item read by `parse`. */
export function list(parse: (text: string) => number): (text: string) => number[] {
  return (text) => text.split(',').map((item) => parse(item.trim()));
}

/**
 * A comma-separated list of distinct values, each read by `parse`: `0.1,0.10,1e-1` is one value
 * written three ways, which a sweep would run once while the user asked for three runs.
 */
export function distinctList(parse: (text: string) => number): (text: string) => number[] {
  return (text) => {
    const items = text.split(',').map((item) => item.trim());
    const values = items.map(parse);
    const repeated = values
      .map((value, index) => [items[index], value] as const)
      .filter(([, value], index) => values.indexOf(value) !== index);
    if (repeated.length > 0) {
      const [, value] = repeated[0]!;
      const spellings = items.filter((_, index) => values[index] === value);
      throw new InvalidFlagError(`${spellings.join(', ')} are all the value ${value}: list each value once.`);
    }
    return values;
  };
}
/**
 * `redis://[USER[:PASSWORD]@]HOST:PORT[/DB]` (an IPv6 host in brackets, `redis://[::1]:6379`), as
 * `redis://[USER[:PASSWORD]@]host:port/db` (port 6379 and database 0 when left out). Whether the
 * server accepts the user, the password and the database is checked when it is reached.
 */
export function redisUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    url = undefined;
  }
  const database = url === undefined ? undefined : /^\/?(\d{0,9})$/.exec(url.pathname)?.[1];
  if (
    url === undefined ||
    url.protocol !== 'redis:' ||
    url.hostname === '' ||
    database === undefined ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new InvalidFlagError(
      'Expected redis://[USER[:PASSWORD]@]HOST:PORT[/DB] with a database index of at most 9 digits, such as redis://127.0.0.1:6379/0 or redis://:secret@[::1]:6379/2.',
    );
  }
  const credentials = url.username === '' && url.password === '' ? '' : `${url.username}${url.password === '' ? '' : `:${url.password}`}@`;
  return `redis://${credentials}${url.hostname}:${url.port === '' ? 6379 : url.port}/${database === '' ? 0 : Number(database)}`;
}
