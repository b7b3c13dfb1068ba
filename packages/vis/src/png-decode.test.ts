import { deflateSync } from 'node:zlib';
import { convertIndexedToRgb, decode } from 'fast-png';
import { InvalidArgumentError, Random, crc32 } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { decodePng } from './png-decode';

// PNGs are built here byte by byte (every colour type, bit depth, filter and interlacing) and
// decoded both by decodePng and by fast-png, an independent decoder, as the reference.

function chunk(type: string, data: Uint8Array): Uint8Array {
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

function ihdr(width: number, height: number, depth: number, colourType: number, interlace = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([depth, colourType, 0, 0, interlace], 8);
  return chunk('IHDR', data);
}

function png(...chunks: Uint8Array[]): Uint8Array {
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), ...chunks, chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Filters a row with filter `type` (the inverse of a decoder's unfiltering), returning the filter byte and the row. */
function filterRow(type: number, row: Uint8Array, previous: Uint8Array, step: number): Uint8Array {
  const out = new Uint8Array(1 + row.length);
  out[0] = type;
  for (let i = 0; i < row.length; i++) {
    const left = i >= step ? row[i - step]! : 0;
    const up = previous[i]!;
    const upLeft = i >= step ? previous[i - step]! : 0;
    const estimate = left + up - upLeft;
    const [toLeft, toUp, toUpLeft] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
    const paeth = toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft;
    const predictor = [0, left, up, (left + up) >> 1, paeth][type]!;
    out[1 + i] = (row[i]! - predictor) & 0xff;
  }
  return out;
}

/** A PNG of random samples (sample values below `levels`), rows filtered with each filter in turn. */
function randomPng(width: number, height: number, depth: number, colourType: number, interlace: number, seed: number): Uint8Array {
  const random = new Random(seed);
  const channels = CHANNELS[colourType]!;
  const levels = colourType === 3 ? Math.min(1 << depth, 5) : 2 ** depth;
  const samples = Array.from({ length: width * height * channels }, () => Math.floor(random.next() * levels));
  const step = Math.max(1, (channels * depth) >> 3);
  const passes = interlace === 1 ? ADAM7 : [[0, 0, 1, 1]];
  const raw: number[] = [];
  let filter = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const passWidth = Math.max(0, Math.ceil((width - x0!) / dx!));
    const passHeight = Math.max(0, Math.ceil((height - y0!) / dy!));
    if (passWidth === 0 || passHeight === 0) continue;
    let previous = new Uint8Array(Math.ceil((passWidth * channels * depth) / 8));
    for (let y = 0; y < passHeight; y++) {
      const row = new Uint8Array(previous.length);
      for (let x = 0; x < passWidth; x++) {
        for (let c = 0; c < channels; c++) {
          const value = samples[((y0! + y * dy!) * width + x0! + x * dx!) * channels + c]!;
          const index = x * channels + c;
          if (depth === 16) row.set([value >> 8, value & 0xff], 2 * index);
          else if (depth === 8) row[index] = value;
          else row[(index * depth) >> 3]! |= value << (8 - depth - ((index * depth) & 7));
        }
      }
      raw.push(...filterRow(filter++ % 5, row, previous, step));
      previous = row;
    }
  }
  const chunks = [ihdr(width, height, depth, colourType, interlace)];
  if (colourType === 3) {
    chunks.push(chunk('PLTE', Uint8Array.of(10, 20, 30, 200, 100, 0, 0, 255, 0, 255, 255, 255, 7, 8, 9)));
    chunks.push(chunk('tRNS', Uint8Array.of(0, 128)));
  }
  chunks.push(chunk('IDAT', deflateSync(Uint8Array.from(raw))));
  return png(...chunks);
}

/** fast-png's decoding, made 8-bit RGBA: what decodePng did before it was bounded. */
function reference(bytes: Uint8Array): Uint8ClampedArray {
  const image = decode(bytes);
  const { width, height, depth } = image;
  const palette = image.palette !== undefined;
  const channels = palette ? image.palette![0]!.length : image.channels;
  let samples: Uint8Array;
  if (palette) samples = convertIndexedToRgb(image);
  else if (depth === 16) samples = Uint8Array.from(image.data as Uint16Array, (sample) => sample >> 8);
  else if (depth === 8) samples = image.data as Uint8Array;
  else {
    samples = new Uint8Array(width * height * channels);
    const rowBytes = Math.ceil((width * channels * depth) / 8);
    const maximum = (1 << depth) - 1;
    for (let y = 0; y < height; y++) {
      for (let i = 0; i < width * channels; i++) {
        const bit = i * depth;
        const byte = image.data[y * rowBytes + (bit >> 3)]!;
        samples[y * width * channels + i] = Math.round((((byte >> (8 - depth - (bit & 7))) & maximum) * 255) / maximum);
      }
    }
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let pixel = 0; pixel < width * height; pixel++) {
    const source = pixel * channels;
    const grey = channels <= 2;
    data[4 * pixel] = samples[source]!;
    data[4 * pixel + 1] = samples[grey ? source : source + 1]!;
    data[4 * pixel + 2] = samples[grey ? source : source + 2]!;
    data[4 * pixel + 3] = channels === 2 || channels === 4 ? samples[source + channels - 1]! : 255;
  }
  return data;
}

function refusal(bytes: Uint8Array, maxPixels?: number): InvalidArgumentError {
  let caught: unknown;
  try {
    decodePng(bytes, maxPixels === undefined ? {} : { maxPixels });
  } catch (error) {
    caught = error;
  }
  expect(InvalidArgumentError.isInstance(caught), String(caught)).toBe(true);
  return caught as InvalidArgumentError;
}

describe('decodePng', () => {
  const kinds = [
    ...[1, 2, 4, 8, 16].map((depth) => [0, depth]),
    [2, 8],
    [2, 16],
    ...[1, 2, 4, 8].map((depth) => [3, depth]),
    [4, 8],
    [4, 16],
    [6, 8],
    [6, 16],
  ] as const;
  for (const [colourType, depth] of kinds) {
    it(`decodes colour type ${colourType} at ${depth} bits as fast-png does`, () => {
      for (const [width, height] of [
        [1, 1],
        [13, 7],
        [9, 17],
      ] as const) {
        const bytes = randomPng(width, height, depth, colourType, 0, width * 100 + depth + colourType);
        const decoded = decodePng(bytes);
        expect([decoded.width, decoded.height]).toEqual([width, height]);
        expect(Array.from(decoded.data)).toEqual(Array.from(reference(bytes)));
      }
    });

    // fast-png misreads interlaced pictures of under 8 bits: the same samples without interlacing are the reference.
    it(`decodes colour type ${colourType} at ${depth} bits interlaced as the same samples without interlacing`, () => {
      for (const [width, height] of [
        [1, 1],
        [3, 2],
        [13, 7],
        [9, 17],
      ] as const) {
        const seed = width * 100 + depth + colourType;
        const interlaced = decodePng(randomPng(width, height, depth, colourType, 1, seed));
        expect(Array.from(interlaced.data)).toEqual(Array.from(decodePng(randomPng(width, height, depth, colourType, 0, seed)).data));
      }
    });
  }

  it('makes the grey level named by tRNS transparent', () => {
    const bytes = png(ihdr(2, 1, 8, 0), chunk('tRNS', Uint8Array.of(0, 7)), chunk('IDAT', deflateSync(Uint8Array.of(0, 7, 9))));
    expect(Array.from(decodePng(bytes).data)).toEqual([7, 7, 7, 0, 9, 9, 9, 255]);
  });

  it('stops inflating image data that passes the size its IHDR implies (a 1 x 1 header over 64 MiB)', () => {
    const bomb = png(ihdr(1, 1, 8, 0), chunk('IDAT', deflateSync(new Uint8Array(64 * 1024 * 1024))));
    const error = refusal(bomb);
    expect(error.message).toBe(
      'decodePng: its image data inflates past the 2 bytes its 1 x 1 IHDR implies (a damaged file or a decompression bomb); inflation was stopped there.',
    );
  });

  it('skips a colour profile without inflating it (a bomb in iCCP)', () => {
    const profile = deflateSync(new Uint8Array(64 * 1024 * 1024));
    const iccp = chunk('iCCP', Uint8Array.from([...Buffer.from('bomb'), 0, 0, ...profile]));
    const plain = png(ihdr(1, 1, 8, 0), chunk('IDAT', deflateSync(Uint8Array.of(0, 200))));
    const withProfile = png(ihdr(1, 1, 8, 0), iccp, chunk('IDAT', deflateSync(Uint8Array.of(0, 200))));
    expect(Array.from(decodePng(withProfile).data)).toEqual(Array.from(decodePng(plain).data));
  });

  it('checks the real IHDR against the pixel budget even when another chunk comes first', () => {
    const hidden = png(
      chunk('tEXt', Buffer.from('Comment\0before the header')),
      ihdr(8000, 8000, 8, 0),
      chunk('IDAT', deflateSync(new Uint8Array(2))),
    );
    const error = refusal(hidden);
    expect(error.value).toEqual({ width: 8000, height: 8000 });
    expect(error.message).toBe(
      'decodePng: the PNG is 8000 x 8000 pixels (64.0 megapixels), more than the 25.0 megapixels decoded; nothing was inflated. Scale the picture down.',
    );
    expect(refusal(randomPng(20, 20, 8, 0, 0, 1), 100).message).toContain(
      'the PNG is 20 x 20 pixels (0.0 megapixels), more than the 0.0 megapixels',
    );
  });

  it('refuses image data that ends short of its size, a chunk that fails its checksum, and critical chunks before IHDR', () => {
    expect(refusal(png(ihdr(4, 4, 8, 0), chunk('IDAT', deflateSync(new Uint8Array(5))))).message).toBe(
      'decodePng: its image data inflates to 5 bytes, short of the 20 its IHDR implies (a truncated file).',
    );
    const damaged = randomPng(3, 3, 8, 2, 0, 2);
    damaged[45] ^= 0xff; // inside the IDAT chunk's data
    expect(refusal(damaged).message).toMatch(/decodePng: the IDAT chunk at byte 33 fails its checksum \(a damaged file\)\./);
    expect(refusal(png(chunk('IDAT', deflateSync(Uint8Array.of(0, 1))), ihdr(1, 1, 8, 0))).message).toBe(
      'decodePng: the IDAT chunk at byte 8 comes before the IHDR chunk.',
    );
    expect(refusal(Uint8Array.of(1, 2, 3)).message).toBe('decodePng: the bytes are not a valid PNG (no PNG signature).');
  });
});
