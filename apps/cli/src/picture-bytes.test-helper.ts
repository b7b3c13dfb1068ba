// Test helpers (not part of the command): PNG files built chunk by chunk, and pictures of a digit,
// for the hostile-picture and fuzz tests of `sdae predict`.
import { createDeflate } from 'node:zlib';
import { crc32 } from '@sdae/core';
import { encodePng, greyToRgba } from '@sdae/vis';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Byte arrays one after the other. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A PNG chunk: length, type, data and the CRC-32 of type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(
    Array.from(type, (char) => char.charCodeAt(0)),
    4,
  );
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An IHDR chunk (no interlacing). */
export function ihdrChunk(width: number, height: number, depth: number, colourType: number): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([depth, colourType, 0, 0, 0], 8);
  return pngChunk('IHDR', data);
}

/** A PNG file of these chunks (the signature before, IEND after). */
export function pngFile(...chunks: Uint8Array[]): Uint8Array {
  return concat(SIGNATURE, ...chunks, pngChunk('IEND', new Uint8Array(0)));
}

/** The chunks of a PNG file (from encodePng), each whole with its length and CRC, IEND excluded. */
export function pngChunks(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const chunks: Uint8Array[] = [];
  for (let offset = 8; offset < file.length;) {
    const length = view.getUint32(offset);
    const chunk = file.subarray(offset, offset + 12 + length);
    if (String.fromCharCode(...chunk.subarray(4, 8)) !== 'IEND') chunks.push(chunk);
    offset += 12 + length;
  }
  return chunks;
}

/** A zlib stream of the pieces one after the other, deflated as they come (a 1 GiB stream needs no 1 GiB buffer). */
export async function zlibStream(pieces: Iterable<Uint8Array>, level = 9): Promise<Uint8Array> {
  const deflate = createDeflate({ level });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const ended = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  for (const piece of pieces) {
    if (!deflate.write(piece)) await new Promise<void>((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  return concat(...parts);
}

/** `count` times the same bytes, as pieces for {@link zlibStream}. */
export function* repeated(piece: Uint8Array, count: number): Iterable<Uint8Array> {
  for (let index = 0; index < count; index++) yield piece;
}

/** A digit 7 drawn dark on white, `side` x `side` grey pixels. */
export function sevenPixels(side: number): Uint8Array {
  const pixels = new Uint8Array(side * side).fill(255);
  const stroke = Math.max(1, Math.round(side / 14));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const top = y >= side * 0.2 && y < side * 0.2 + stroke && x >= side * 0.25 && x < side * 0.75;
      const diagonal =
        y >= side * 0.2 &&
        y < side * 0.8 &&
        Math.abs(x - (side * 0.75 - ((y - side * 0.2) / (side * 0.6)) * side * 0.3)) < stroke / 2 + 0.5;
      if (top || diagonal) pixels[y * side + x] = 0;
    }
  }
  return pixels;
}

/** {@link sevenPixels} as an 8-bit PNG file. */
export function sevenPng(side = 280): Uint8Array {
  return encodePng(greyToRgba({ pixels: sevenPixels(side), width: side, height: side }));
}
