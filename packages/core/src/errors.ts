const SDAE_ERROR_MARKER = 'sdae.error';
const SDAE_ERROR_SYMBOL = Symbol.for(SDAE_ERROR_MARKER);

/**
 * The base class of every error the sdae packages throw on purpose. Catch it to tell the
 * project's own, explained errors from bugs and from errors of other libraries.
 *
 * Each error carries a `Symbol.for('sdae.error')` marker, so {@link SdaeError.isInstance} still
 * recognises it when it comes from another installed copy of `@sdae/core` (two versions in one
 * `node_modules`, or the ESM and CJS builds loaded side by side), where `instanceof` fails.
 *
 * @example
 * try { await loadMnist({ dir: './data' }); }
 * catch (error) { if (SdaeError.isInstance(error)) console.error(error.message); else throw error; }
 */
export class SdaeError extends Error {
  protected readonly [SDAE_ERROR_SYMBOL] = true;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /**
   * True when `value` is an sdae error, from this copy of `@sdae/core` or any other.
   *
   * @example if (SdaeError.isInstance(error)) console.error(error.message);
   */
  static isInstance(value: unknown): value is SdaeError {
    return SdaeError.hasMarker(value, SDAE_ERROR_MARKER);
  }

  /**
   * True when `value` is an object carrying the marker `Symbol.for(marker)`. Subclasses use it
   * for their own `isInstance`, each with its own marker (`'sdae.error.<ClassName>'`).
   *
   * @example
   * static override isInstance(value: unknown): value is ModelFormatError {
   *   return SdaeError.hasMarker(value, 'sdae.error.ModelFormatError');
   * }
   */
  static hasMarker(value: unknown, marker: string): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const symbol = Symbol.for(marker);
    return symbol in value && (value as Record<symbol, unknown>)[symbol] === true;
  }
}

const INVALID_ARGUMENT_MARKER = 'sdae.error.InvalidArgumentError';
const INVALID_ARGUMENT_SYMBOL = Symbol.for(INVALID_ARGUMENT_MARKER);

/**
 * A caller passed an argument outside what a function accepts: a non-positive size, a NaN
 * learning rate, an unknown name. `argument` names the parameter and `value` holds what was
 * received.
 *
 * @example
 * throw new InvalidArgumentError('batchSize', 0, 'epochBatches: batchSize must be a whole number >= 1; received 0.');
 */
export class InvalidArgumentError extends SdaeError {
  protected readonly [INVALID_ARGUMENT_SYMBOL] = true;
  readonly argument: string;
  readonly value: unknown;

  constructor(argument: string, value: unknown, message: string) {
    super(message);
    this.argument = argument;
    this.value = value;
  }

  /** True when `value` is an {@link InvalidArgumentError}, from this copy of `@sdae/core` or any other. */
  static override isInstance(value: unknown): value is InvalidArgumentError {
    return SdaeError.hasMarker(value, INVALID_ARGUMENT_MARKER);
  }
}

/**
 * Throws when `condition` is false. The error is made only then, so hot paths pay nothing for
 * building messages.
 *
 * @example
 * assert(batchSize > 0, () => new InvalidArgumentError('batchSize', batchSize, '...'));
 */
export function assert(condition: boolean, makeError: () => Error): asserts condition {
  if (!condition) throw makeError();
}
