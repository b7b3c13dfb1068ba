import { SdaeError } from '@sdae/core';

/**
 * A saved model or checkpoint is truncated, corrupt or of another kind than expected. `file`
 * names it (a path, or `'<bytes>'` for an in-memory buffer), `field` the part that is wrong.
 */
export class ModelFormatError extends SdaeError {
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
}
