import { InvalidArgumentError } from '@sdae/core';
import { DatasetFormatError, type DatasetFormatErrorDetails } from './errors';

/** The IDX type code of unsigned bytes, the only element type MNIST uses. */
const UNSIGNED_BYTE = 0x08;

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

/** An IDX file's content: its dimensions and its unsigned bytes, row-major. */
export interface IdxArray {
  /** The dimensions, e.g. `[60000, 28, 28]` for MNIST training images, `[60000]` for labels. */
  dims: number[];
  /** The elements as a view on the input bytes (no copy). */
  data: Uint8Array;
}

/** How to name a file in errors, and what the file must hold. */
export interface ParseIdxOptions {
  /** The file's name, path or URL, used in error messages. */
  file: string;
  /**
   * The public function that is reading, named first in error messages.
   * @default 'parseIdx'
   */
  caller?: string;
  /**
   * The number of dimensions the file must have (3 for images, 1 for labels); any when unset.
   * @default undefined
   */
  rank?: number;
  /**
   * The last sentence of every error message: how the user can fix it.
   * @default 'Check the file, or download it again.'
   */
  fix?: string;
}

/** True when `bytes` start with the gzip magic number (0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * How many decompressed bytes are worth producing for an IDX file whose first bytes are `start`:
 * the size its header implies (header plus one byte per element) for an unsigned-byte IDX header,
 * `start.length` for a start that is not one ({@link parseIdx} then says why), or undefined when
 * `start` is too short to hold the whole header. Inflation stops there, so a gzip bomb behind a
 * small header is refused after that many bytes rather than inflated whole.
 *
 * @example idxInflateLimit(firstBytes); // 47040016 for MNIST's training images
 */
export function idxInflateLimit(start: Uint8Array): number | undefined {
  if (start.length < 4) return undefined;
  if (start[0] !== 0 || start[1] !== 0 || start[2] !== UNSIGNED_BYTE || start[3] === 0) return start.length;
  const headerLength = 4 + 4 * start[3]!;
  if (start.length < headerLength) return undefined;
  const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
  let elements = 1;
  for (let axis = 0; axis < start[3]!; axis++) elements *= view.getUint32(4 + 4 * axis, false);
  return headerLength + elements;
}

/**
 * The most bytes one byte of a deflate stream (gzip's) can inflate to: 1032 (zlib's limit, from
 * 258-byte matches coded in 2 bits).
 */
export const MAX_DEFLATE_RATIO = 1032;

/**
 * The error for a gzip-compressed IDX file whose header claims more bytes than its compressed
 * size can hold even at deflate's largest ratio ({@link MAX_DEFLATE_RATIO}), or undefined when
 * the claim is plausible. Such a header is corrupt (60000 x 100000 x 100000 images): the loaders
 * throw it before inflating or allocating anything more.
 *
 * @param limit the size the header implies, from {@link idxInflateLimit}.
 * @param compressedBytes the size of the whole gzip file.
 * @example const refused = implausibleIdxSize('loadMnist', path, limit, bytes.length, FIX); if (refused) throw refused;
 */
export function implausibleIdxSize(
  caller: string,
  file: string,
  limit: number,
  compressedBytes: number,
  fix: string,
): DatasetFormatError | undefined {
  const most = compressedBytes * MAX_DEFLATE_RATIO;
  if (limit <= most) return undefined;
  return new DatasetFormatError(
    { file, field: 'header', offset: 4, expected: `at most ${most} bytes once inflated`, found: `a header claiming ${limit} bytes` },
    `${caller}: ${file}: its IDX header claims ${limit} bytes, more than its ${compressedBytes} gzip-compressed bytes can inflate to ` +
      `(at most ${most}, ${MAX_DEFLATE_RATIO} per byte), so the header is corrupt; nothing more was inflated. ${fix}`,
  );
}

/**
 * The error for a gzip file that inflates past the size its IDX header implies.
 *
 * @example throw inflatedPastHeader('loadMnist', path, limit, FIX);
 */
export function inflatedPastHeader(caller: string, file: string, limit: number, fix: string): DatasetFormatError {
  return new DatasetFormatError(
    { file, field: 'gzip stream', expected: `at most ${limit} bytes once inflated (its IDX header)`, found: 'more' },
    `${caller}: ${file} inflates to more than the ${limit} bytes its IDX header implies (a corrupt file or a gzip bomb); ` +
      `decompression was stopped there. ${fix}`,
  );
}

function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * Parses an IDX file (the format of the original MNIST files) of unsigned bytes. The same
 * parser serves Node and the browser: it takes bytes, already decompressed.
 *
 * Validates the magic number (two zero bytes, type 0x08, the number of dimensions), the
 * dimensions and that the byte count is exactly header + product of dimensions.
 *
 * @returns the dimensions and a view of the elements (no copy).
 * @throws {DatasetFormatError} naming the file, the field and offset, what was expected and what
 *   was found, when the file is truncated, has trailing bytes, a wrong magic number, an
 *   unsupported element type or the wrong number of dimensions.
 * @example
 * const labels = parseIdx(bytes, { file: 'train-labels-idx1-ubyte', rank: 1 });
 * labels.dims; // [60000]
 */
export function parseIdx(bytes: Uint8Array, options: ParseIdxOptions): IdxArray {
  const { file, caller = 'parseIdx', rank, fix = 'Check the file, or download it again.' } = options;
  const fail = (details: Omit<DatasetFormatErrorDetails, 'file'>, problem: string): never => {
    const at = details.offset === undefined ? '' : ` at byte offset ${details.offset}`;
    throw new DatasetFormatError(
      { file, ...details },
      `${caller}: ${file}: ${problem}${at}: expected ${details.expected}, found ${details.found}. ${fix}`,
    );
  };

  if (bytes.length < 4) {
    fail(
      { field: 'magic number', offset: 0, expected: 'at least 4 bytes', found: `${bytes.length} bytes` },
      'the file is truncated before its magic number',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (isGzip(bytes)) {
    fail(
      { field: 'magic number', offset: 0, expected: 'an uncompressed IDX file (0x0000080N)', found: `gzip data (${hex32(magic)})` },
      'the file is gzip-compressed and was not decompressed (name it with a .gz ending)',
    );
  }
  const typeCode = bytes[2];
  const dimensionCount = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || TYPE_NAMES[typeCode] === undefined || dimensionCount === 0) {
    fail(
      {
        field: 'magic number',
        offset: 0,
        expected: 'an IDX magic number 0x000008NN (e.g. 0x00000803 for images, 0x00000801 for labels)',
        found: hex32(magic),
      },
      'not an IDX file',
    );
  }
  if (typeCode !== UNSIGNED_BYTE) {
    fail(
      {
        field: 'element type',
        offset: 2,
        expected: `0x08 (${TYPE_NAMES[UNSIGNED_BYTE]})`,
        found: `0x${typeCode.toString(16).padStart(2, '0')} (${TYPE_NAMES[typeCode]})`,
      },
      'unsupported element type',
    );
  }
  if (rank !== undefined && dimensionCount !== rank) {
    fail(
      {
        field: 'number of dimensions',
        offset: 3,
        expected: `${rank} (magic ${hex32(0x800 | rank)})`,
        found: `${dimensionCount} (magic ${hex32(magic)})`,
      },
      'wrong kind of IDX file',
    );
  }
  const headerBytes = 4 + 4 * dimensionCount;
  if (bytes.length < headerBytes) {
    fail(
      { field: 'header', offset: bytes.length, expected: `a header of ${headerBytes} bytes`, found: `${bytes.length} bytes` },
      'the file is truncated inside its header',
    );
  }
  const dims: number[] = [];
  for (let index = 0; index < dimensionCount; index++) {
    const offset = 4 + 4 * index;
    const size = view.getUint32(offset, false);
    if (size === 0) {
      fail({ field: `dimension ${index}`, offset, expected: 'a size >= 1', found: '0' }, 'empty dimension');
    }
    dims.push(size);
  }
  const elementCount = dims.reduce((product, size) => product * size, 1);
  const expectedBytes = headerBytes + elementCount;
  if (bytes.length !== expectedBytes) {
    const truncated = bytes.length < expectedBytes;
    fail(
      {
        field: 'data',
        offset: truncated ? bytes.length : expectedBytes,
        expected: `${expectedBytes} bytes (${headerBytes}-byte header + ${dims.join(' x ')} elements)`,
        found: `${bytes.length} bytes`,
      },
      truncated ? 'the file is truncated' : 'the file has trailing bytes after its data',
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * Serialises unsigned bytes as an IDX file: the inverse of {@link parseIdx}. Useful to write
 * subsets of MNIST and to make test files.
 *
 * @example const file = encodeIdx([2, 2, 2], new Uint8Array(8));
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const elementCount = dims.reduce((product, size) => product * size, 1);
  if (dims.length === 0 || dims.length > 255 || data.length !== elementCount) {
    throw new InvalidArgumentError(
      'data',
      data.length,
      `encodeIdx: data must hold one byte per element of dims [${dims.join(', ')}] (${elementCount}); ` +
        `received ${data.length} bytes. Pass dims that match the data.`,
    );
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x800 | dims.length, false);
  dims.forEach((size, index) => view.setUint32(4 + 4 * index, size, false));
  out.set(data, headerBytes);
  return out;
}
