import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from './checksum';

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
