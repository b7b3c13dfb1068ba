import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { InvalidArgumentError } from '@sdae/core';
import { DatasetFormatError } from './errors';
import { encodeIdx, isGzip, parseIdx } from './idx';

/** Builds IDX bytes by hand: magic bytes, big-endian dimensions, then data. */
function idxBytes(magic: number[], dims: number[], data: number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header.set(magic, 0);
  const view = new DataView(header.buffer);
  dims.forEach((size, index) => view.setUint32(4 + 4 * index, size, false));
  return Uint8Array.from([...header, ...data]);
}

function parseError(bytes: Uint8Array, rank?: number): DatasetFormatError {
  try {
    parseIdx(bytes, { file: 'tiny-idx3-ubyte', caller: 'loadMnist', rank, fix: 'Pass a valid path.' });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetFormatError);
    return error as DatasetFormatError;
  }
  throw new Error('parseIdx accepted malformed bytes');
}

describe('parseIdx', () => {
  it('reads the dimensions and bytes of a hand-made 2 x 2 x 3 file', () => {
    const parsed = parseIdx(idxBytes([0, 0, 8, 3], [2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]), { file: 'f' });
    expect(parsed.dims).toEqual([2, 2, 3]);
    expect(Array.from(parsed.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
  });

  it('returns a view on the input bytes rather than a copy', () => {
    const bytes = idxBytes([0, 0, 8, 1], [3], [7, 8, 9]);
    const parsed = parseIdx(bytes, { file: 'f' });
    expect(parsed.data.buffer).toBe(bytes.buffer);
    expect(parsed.data.byteOffset).toBe(8);
  });

  it('reports a file shorter than its magic number', () => {
    const error = parseError(Uint8Array.of(0, 0));
    expect(error.field).toBe('magic number');
    expect(error.message).toBe(
      'loadMnist: tiny-idx3-ubyte: the file is truncated before its magic number at byte offset 0: expected at least 4 bytes, found 2 bytes. Pass a valid path.',
    );
  });

  it('reports a wrong magic number in hexadecimal', () => {
    const error = parseError(idxBytes([0x12, 0x34, 8, 1], [1], [0]));
    expect(error.field).toBe('magic number');
    expect(error.offset).toBe(0);
    expect(error.found).toBe('0x12340801');
    expect(error.message).toContain('not an IDX file');
  });

  it('tells a gzip file that was not decompressed from a corrupt one', () => {
    const gz = gzipSync(idxBytes([0, 0, 8, 1], [1], [0]));
    expect(isGzip(gz)).toBe(true);
    const error = parseError(gz);
    expect(error.message).toContain('gzip-compressed');
    expect(error.message).toContain('.gz');
  });

  it('refuses element types other than unsigned bytes, naming the type', () => {
    const error = parseError(idxBytes([0, 0, 0x0d, 1], [1], [0, 0, 0, 0]));
    expect(error.field).toBe('element type');
    expect(error.offset).toBe(2);
    expect(error.found).toBe('0x0d (float)');
  });

  it('refuses a labels file where images are expected', () => {
    const error = parseError(idxBytes([0, 0, 8, 1], [2], [1, 2]), 3);
    expect(error.field).toBe('number of dimensions');
    expect(error.expected).toBe('3 (magic 0x00000803)');
    expect(error.found).toBe('1 (magic 0x00000801)');
  });

  it('reports a header cut inside the dimensions', () => {
    const error = parseError(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 2, 0, 0));
    expect(error.field).toBe('header');
    expect(error.expected).toBe('a header of 16 bytes');
    expect(error.found).toBe('10 bytes');
  });

  it('refuses a zero dimension, naming which one', () => {
    const error = parseError(idxBytes([0, 0, 8, 3], [2, 0, 3], []));
    expect(error.field).toBe('dimension 1');
    expect(error.offset).toBe(8);
  });

  it('reports a truncated data section with the expected and found byte counts', () => {
    const error = parseError(idxBytes([0, 0, 8, 3], [2, 2, 2], [1, 2, 3, 4, 5]));
    expect(error.field).toBe('data');
    expect(error.offset).toBe(21);
    expect(error.message).toBe(
      'loadMnist: tiny-idx3-ubyte: the file is truncated at byte offset 21: expected 24 bytes (16-byte header + 2 x 2 x 2 elements), found 21 bytes. Pass a valid path.',
    );
  });

  it('reports trailing bytes after the data', () => {
    const error = parseError(idxBytes([0, 0, 8, 1], [2], [1, 2, 3]));
    expect(error.message).toContain('trailing bytes');
    expect(error.offset).toBe(10);
  });
});

describe('encodeIdx', () => {
  it('writes what parseIdx reads back', () => {
    const data = Uint8Array.from({ length: 24 }, (_, index) => index * 10);
    const parsed = parseIdx(encodeIdx([2, 3, 4], data), { file: 'round-trip', rank: 3 });
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  it('writes the magic number and big-endian dimensions of the original files', () => {
    expect(Array.from(encodeIdx([258], new Uint8Array(258)).subarray(0, 8))).toEqual([0, 0, 8, 1, 0, 0, 1, 2]);
  });

  it('refuses data whose length does not match the dimensions', () => {
    expect(() => encodeIdx([2, 2], new Uint8Array(3))).toThrow(InvalidArgumentError);
  });
});
