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

/**
 * The CRC-32 of `bytes` (the checksum of zlib, gzip and PNG), as an unsigned 32-bit integer.
 * Pass a previous result as `previous` to checksum data that arrives in pieces.
 *
 * @example crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const lookup = crcTable();
  let crc = ~previous >>> 0;
  for (let index = 0; index < bytes.length; index++) crc = lookup[(crc ^ bytes[index]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
