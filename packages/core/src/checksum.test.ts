import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, crc32OfCodes } from './checksum';
import { InvalidArgumentError } from './errors';

describe('crc32', () => {
  it('gives the check values of the CRC-32 catalogue', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('continues over data given in pieces', () => {
    const bytes = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    expect(crc32(bytes.subarray(10), crc32(bytes.subarray(0, 10)))).toBe(crc32(bytes));
  });
});

describe('crc32 against zlib', () => {
  // Bytes 0..255 repeated with a stride, so every offset and length sees different data.
  const data = Uint8Array.from({ length: 4096 + 64 }, (_, index) => (index * 131 + (index >>> 8)) & 0xff);

  it('equals zlib.crc32 at every alignment and short length, where the word-wise loop has a head and a tail', () => {
    for (let offset = 0; offset < 5; offset++) {
      for (let length = 0; length <= 40; length++) {
        const bytes = data.subarray(offset, offset + length);
        expect(crc32(bytes, 0x1234), `offset ${offset}, length ${length}`).toBe(zlibCrc32(bytes, 0x1234));
      }
    }
  });

  it('equals zlib.crc32 over 4 kB', () => {
    expect(crc32(data.subarray(3, 4099))).toBe(zlibCrc32(data.subarray(3, 4099)));
  });
});

describe('crc32OfCodes', () => {
  // The float32 bytes of code / 255, as MNIST's pixels: what the fingerprint of a loaded set expands.
  const symbols = new Uint8Array(Float32Array.from({ length: 256 }, (_, code) => code / 255).buffer);
  const expand = (codes: Uint8Array) => {
    const bytes = new Uint8Array(4 * codes.length);
    codes.forEach((code, index) => bytes.set(symbols.subarray(4 * code, 4 * code + 4), 4 * index));
    return bytes;
  };
  const codes = Uint8Array.from({ length: 1000 }, (_, index) => (index * 167 + (index >>> 3)) & 0xff);

  it('equals zlib.crc32 of the expanded bytes at every length up to 40 codes, where steps of 8 codes leave a tail', () => {
    for (let length = 0; length <= 40; length++) {
      const part = codes.subarray(3, 3 + length);
      expect(crc32OfCodes(part, symbols, 0x1234), `length ${length}`).toBe(zlibCrc32(expand(part), 0x1234));
    }
  });

  it('equals crc32 of the expanded bytes over 1,000 codes and continues a previous result', () => {
    expect(crc32OfCodes(codes, symbols)).toBe(crc32(expand(codes)));
    expect(crc32OfCodes(codes.subarray(500), symbols, crc32OfCodes(codes.subarray(0, 500), symbols))).toBe(crc32(expand(codes)));
  });

  it('gives the known CRC-32 of "123456789" spelled as codes of 4 bytes', () => {
    // Code c stands for the bytes c, 0, 0, 0 here, so the codes of "12345678" and "9" spell them with zeros between.
    const spelled = new Uint8Array(1024);
    for (let code = 0; code < 256; code++) spelled[4 * code] = code;
    const text = new TextEncoder().encode('123456789');
    const withZeros = new Uint8Array(36);
    text.forEach((byte, index) => (withZeros[4 * index] = byte));
    expect(crc32OfCodes(text, spelled)).toBe(zlibCrc32(withZeros));
  });

  it('refuses symbols that are not 1,024 bytes, naming the argument', () => {
    expect(() => crc32OfCodes(codes, new Uint8Array(1000))).toThrow(/crc32OfCodes: symbols must be a Uint8Array of 1024 bytes/);
    let thrown: unknown;
    try {
      crc32OfCodes(codes, new Uint8Array(4));
    } catch (error) {
      thrown = error;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
  });
});
