/** The marker of every sdae error: `Symbol.for('sdae.error')`. */
const SDAE_ERROR_MARKER = 'sdae.error';

/** The marker that `errorClass`'s instances carry: `'sdae.error'` for the base, `'sdae.error.<Name>'` below it. */
function markerOf(errorClass: { readonly name: string }): string {
  return errorClass === SdaeError ? SDAE_ERROR_MARKER : `${SDAE_ERROR_MARKER}.${errorClass.name}`;
}

/**
 * The base class of every error the sdae packages throw on purpose. Catch it to tell the
 * project's own, explained errors from bugs and from errors of other libraries.
 *
 * Each error carries one `Symbol.for` marker per class it is an instance of, derived here from
 * each class's own name (`'sdae.error'` for this class, `'sdae.error.<ClassName>'` for each
 * subclass), so {@link SdaeError.isInstance} still recognises it when it comes from another
 * installed copy of a package (two versions in one `node_modules`, or the ESM and CJS builds
 * loaded side by side), where `instanceof` fails. A subclass writes no marker code of its own;
 * `ModelFormatError.isInstance(value)` checks that class's marker. A bundler that renames classes
 * must keep their names (esbuild's `keepNames`).
 *
 * @example
 * try { await loadMnist({ dir: './data' }); }
 * catch (error) { if (SdaeError.isInstance(error)) console.error(error.message); else throw error; }
 */
export class SdaeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    markInstance(this, new.target);
  }

  /**
   * True when `value` is an instance of the class this is called on (or of a subclass), from this
   * copy of the package that defines it or any other: `SdaeError.isInstance(value)` for any sdae
   * error, `InvalidArgumentError.isInstance(value)` for that class only.
   *
   * @example if (SdaeError.isInstance(error)) console.error(error.message);
   */
  static isInstance<T extends abstract new (...args: never[]) => SdaeError>(this: T, value: unknown): value is InstanceType<T> {
    // Called unbound (`errors.filter(SdaeError.isInstance)`), `this` is undefined: the base class.
    return hasMarker(value, markerOf((this as T | undefined) ?? baseClass()));
  }

  /**
   * True when `value` is an object carrying the marker `Symbol.for(marker)` set to `true`.
   *
   * @example SdaeError.hasMarker(error, 'sdae.error.ModelFormatError');
   */
  static hasMarker(value: unknown, marker: string): boolean {
    return hasMarker(value, marker);
  }
}

// The class body never names SdaeError itself: a bundler (esbuild, tsup) renames a class that
// refers to itself (`class _SdaeError`), which would change its name and so its marker.
function baseClass(): { readonly name: string } {
  return SdaeError;
}

/** Sets the marker of `errorClass` and of each class above it, up to SdaeError, on `error`. */
function markInstance(error: SdaeError, errorClass: unknown): void {
  for (let current = errorClass; isErrorClass(current); current = Object.getPrototypeOf(current)) {
    Object.defineProperty(error, Symbol.for(markerOf(current)), { value: true, enumerable: false });
    if (current === SdaeError) break;
  }
}

function hasMarker(value: unknown, marker: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return (value as Record<symbol, unknown>)[Symbol.for(marker)] === true;
}

function isErrorClass(value: unknown): value is { readonly name: string } {
  return typeof value === 'function' && value !== Error;
}

/**
 * A caller passed an argument outside what a function accepts: a non-positive size, a NaN
 * learning rate, an unknown name. `argument` names the parameter and `value` holds what was
 * received.
 *
 * @example
 * throw new InvalidArgumentError('batchSize', 0, 'epochBatches: batchSize must be a whole number >= 1; received 0.');
 */
export class InvalidArgumentError extends SdaeError {
  readonly argument: string;
  readonly value: unknown;

  constructor(argument: string, value: unknown, message: string) {
    super(message);
    this.argument = argument;
    this.value = value;
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
