/** The CRC-32 table of the reflected polynomial 0xEDB88320 (zlib's, PNG's, gzip's), built on first use. */
let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let value = byte;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    table[byte] = value >>> 0;
  }
  return table;
}

/** Eight tables (the first is {@link crcTable}'s): entry `k * 256 + b` is the CRC of byte `b` followed by `k` zero bytes. */
let sliceTables: Int32Array | undefined;

function crcSliceTables(): Int32Array {
  if (sliceTables !== undefined) return sliceTables;
  const first = crcTable();
  sliceTables = new Int32Array(8 * 256);
  sliceTables.set(first);
  for (let slice = 1; slice < 8; slice++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = sliceTables[(slice - 1) * 256 + byte];
      sliceTables[slice * 256 + byte] = first[previous & 0xff] ^ (previous >>> 8);
    }
  }
  return sliceTables;
}

/** Whether this platform stores a Uint32 with its low byte first (the word-wise loop reads bytes in that order). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The CRC-32 of `bytes` (the checksum of zlib, gzip and PNG), as an unsigned 32-bit integer.
 * Pass a previous result as `previous` to checksum data that arrives in pieces.
 *
 * @example crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const lookup = crcTable();
  let crc = ~previous >>> 0;
  let index = 0;
  // Eight bytes a step (slicing-by-8) over the 4-byte-aligned middle: three times faster than a
  // byte a step, which took 0.45 s over MNIST's 188 MB of pixels (a checkpoint's data fingerprint).
  const head = (4 - (bytes.byteOffset & 3)) & 3;
  if (LITTLE_ENDIAN && bytes.length >= head + 8) {
    for (; index < head; index++) crc = lookup[(crc ^ bytes[index]) & 0xff] ^ (crc >>> 8);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + head, (bytes.length - head) >>> 2);
    const slices = crcSliceTables();
    const pairs = words.length & ~1;
    for (let word = 0; word < pairs; word += 2) {
      const low = words[word] ^ crc;
      const high = words[word + 1];
      crc =
        slices[7 * 256 + (low & 0xff)] ^
        slices[6 * 256 + ((low >>> 8) & 0xff)] ^
        slices[5 * 256 + ((low >>> 16) & 0xff)] ^
        slices[4 * 256 + (low >>> 24)] ^
        slices[3 * 256 + (high & 0xff)] ^
        slices[2 * 256 + ((high >>> 8) & 0xff)] ^
        slices[256 + ((high >>> 16) & 0xff)] ^
        slices[high >>> 24];
    }
    index = head + pairs * 4;
    crc >>>= 0;
  }
  for (; index < bytes.length; index++) crc = lookup[(crc ^ bytes[index]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
