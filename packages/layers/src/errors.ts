import { SdaeError } from '@sdae/core';

const MODEL_FORMAT_MARKER = 'sdae.error.ModelFormatError';
const MODEL_FORMAT_SYMBOL = Symbol.for(MODEL_FORMAT_MARKER);

/**
 * A saved model or checkpoint is truncated, corrupt or of another kind than expected. `file`
 * names it (a path, or `'<bytes>'` for an in-memory buffer), `field` the part that is wrong.
 */
export class ModelFormatError extends SdaeError {
  protected readonly [MODEL_FORMAT_SYMBOL] = true;
  readonly file: string;
  readonly field: string;
  readonly expected: string;
  readonly found: string;

  constructor(details: { file: string; field: string; expected: string; found: string }, message: string) {
    super(message);
    this.file = details.file;
    this.field = details.field;
    this.expected = details.expected;
    this.found = details.found;
  }

  /** True when `value` is a {@link ModelFormatError}, from this copy of `@sdae/layers` or any other. */
  static override isInstance(value: unknown): value is ModelFormatError {
    return SdaeError.hasMarker(value, MODEL_FORMAT_MARKER);
  }
}
