import { SdaeError } from '@sdae/core';

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
