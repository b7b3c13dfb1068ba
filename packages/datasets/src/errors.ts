/**
 * The base class of every error the sdae packages throw on purpose. Catch it to tell the
 * project's own, explained errors from bugs and from errors of other libraries.
 *
 * @example
 * try { await loadMnist({ dir: './data' }); }
 * catch (error) { if (error instanceof SdaeError) console.error(error.message); else throw error; }
 */
export class SdaeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A caller passed an argument outside what a function accepts: a non-positive size, a NaN
 * learning rate, an unknown name. `argument` names the parameter and `value` holds what was
 * received.
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

/** Where in which file a data file departs from its format, and how. */
export interface DatasetFormatErrorDetails {
  /** The file (a path, a URL or a name) that is malformed. */
  file: string;
  /** The field that is wrong, e.g. `'magic number'`, `'dimension 1'`, `'label'`. */
  field: string;
  /** The byte offset of that field in the (decompressed) file, when it has one. */
  offset?: number;
  /** What the format requires there. */
  expected: string;
  /** What the file holds instead. */
  found: string;
}

/**
 * A data file is truncated, corrupt or inconsistent with its companion file. The message says
 * which file, which field or offset, what was expected, what was found and how to fix it.
 */
export class DatasetFormatError extends SdaeError {
  readonly file: string;
  readonly field: string;
  readonly offset: number | undefined;
  readonly expected: string;
  readonly found: string;

  constructor(details: DatasetFormatErrorDetails, message: string) {
    super(message);
    this.file = details.file;
    this.field = details.field;
    this.offset = details.offset;
    this.expected = details.expected;
    this.found = details.found;
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
