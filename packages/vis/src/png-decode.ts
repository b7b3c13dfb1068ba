// A PNG decoder for pictures from anyone: the real IHDR is checked against a pixel budget before
// anything is allocated or inflated, the image data is inflated in small pieces and refused as
// soon as it passes the size its IHDR implies (a decompression bomb stops after a few MiB), rows
// are unfiltered one at a time straight into 8-bit RGBA (a 16-bit picture costs no more memory
// than an 8-bit one), and ancillary chunks (colour profiles, compressed text) are never inflated.
import { Unzlib } from 'fflate';
import { InvalidArgumentError, crc32, requireKnownKeys, requirePositiveInteger, type KnownKeys } from '@sdae/core';
import type { RgbaImage } from './png';

/** Options of {@link decodePng}. */
export interface DecodePngOptions {
  /**
   * The most pixels (width x height in the IHDR) decoded: a larger PNG is refused before any of
   * its data is inflated. The decoded image takes 4 bytes per pixel.
   * @default 25_000_000
   */
  maxPixels?: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Compressed bytes inflated at a time: at most 1032 times as many come out of each piece. */
const INFLATE_PIECE = 4096;
/** Samples per pixel of each colour type, and the bit depths each allows. */
const COLOUR_TYPES: Record<number, { channels: number; depths: number[]; name: string }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16], name: 'grey' },
  2: { channels: 3, depths: [8, 16], name: 'RGB' },
  3: { channels: 1, depths: [1, 2, 4, 8], name: 'palette' },
  4: { channels: 2, depths: [8, 16], name: 'grey + alpha' },
  6: { channels: 4, depths: [8, 16], name: 'RGBA' },
};
/** Adam7's passes: the first column and row of each, and the steps between them. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Header {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  channels: number;
  interlaced: boolean;
}

/** One run of rows: the whole image, or one pass of an interlaced one. */
interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
}

function fail(problem: string, value: unknown = problem): never {
  throw new InvalidArgumentError('bytes', value, `decodePng: ${problem}`);
}

function passesOf(header: Header): Pass[] {
  const { width, height } = header;
  if (!header.interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width, height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0,
    y0,
    dx,
    dy,
    width: Math.max(0, Math.ceil((width - x0) / dx)),
    height: Math.max(0, Math.ceil((height - y0) / dy)),
  })).filter((pass) => pass.width > 0 && pass.height > 0);
}

function rowBytes(header: Header, width: number): number {
  return Math.ceil((width * header.channels * header.depth) / 8);
}

function readHeader(data: Uint8Array, maxPixels: number): Header {
  if (data.length !== 13) fail(`its IHDR chunk holds ${data.length} bytes, where the PNG format has 13.`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const [width, height] = [view.getUint32(0), view.getUint32(4)];
  const [depth, colourType, compression, filter, interlace] = data.subarray(8, 13);
  const colour = COLOUR_TYPES[colourType!];
  if (width === 0 || height === 0 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1)
    fail(`its IHDR gives a size of ${width} x ${height} pixels.`);
  if (width * height > maxPixels) {
    fail(
      `the PNG is ${width} x ${height} pixels (${((width * height) / 1e6).toFixed(1)} megapixels), more than the ` +
        `${(maxPixels / 1e6).toFixed(1)} megapixels decoded; nothing was inflated. Scale the picture down.`,
      { width, height },
    );
  }
  if (colour === undefined || !colour.depths.includes(depth!))
    fail(`its IHDR gives colour type ${colourType} with bit depth ${depth}, which PNG does not define.`);
  if (compression !== 0 || filter !== 0 || interlace! > 1)
    fail(`its IHDR gives compression ${compression}, filter ${filter}, interlace ${interlace}; PNG defines 0, 0 and 0 or 1.`);
  return { width, height, depth: depth!, colourType: colourType!, channels: colour.channels, interlaced: interlace === 1 };
}

function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const toLeft = Math.abs(estimate - left);
  const toUp = Math.abs(estimate - up);
  const toUpLeft = Math.abs(estimate - upLeft);
  if (toLeft <= toUp && toLeft <= toUpLeft) return left;
  return toUp <= toUpLeft ? up : upLeft;
}

/** Undoes a row's filter in place (`row` without its filter byte), given the previous row of its pass. */
function unfilter(filter: number, row: Uint8Array, previous: Uint8Array, step: number): void {
  const length = row.length;
  if (filter === 0) return;
  if (filter === 1) for (let i = step; i < length; i++) row[i] = (row[i]! + row[i - step]!) & 0xff;
  else if (filter === 2) for (let i = 0; i < length; i++) row[i] = (row[i]! + previous[i]!) & 0xff;
  else if (filter === 3) {
    for (let i = 0; i < length; i++) row[i] = (row[i]! + (((i >= step ? row[i - step]! : 0) + previous[i]!) >> 1)) & 0xff;
  } else if (filter === 4) {
    for (let i = 0; i < length; i++) {
      row[i] = (row[i]! + paeth(i >= step ? row[i - step]! : 0, previous[i]!, i >= step ? previous[i - step]! : 0)) & 0xff;
    }
  } else fail(`a row uses filter type ${filter}; PNG defines 0 to 4.`);
}

/** Writes one unfiltered row of a pass into the RGBA image, at 8 bits per sample. */
function writeRow(
  header: Header,
  row: Uint8Array,
  pass: Pass,
  y: number,
  image: Uint8ClampedArray,
  palette: Uint8Array | undefined,
  transparency: Uint8Array | undefined,
): void {
  const { depth, colourType, channels } = header;
  const maximum = (1 << Math.min(depth, 8)) - 1;
  const sample = (index: number): number => {
    if (depth === 8) return row[index]!;
    if (depth === 16) return (row[2 * index]! << 8) | row[2 * index + 1]!;
    const bit = index * depth;
    return (row[bit >> 3]! >> (8 - depth - (bit & 7))) & maximum;
  };
  const eightBit = (value: number): number => (depth === 16 ? value >> 8 : depth === 8 ? value : Math.round((value * 255) / maximum));
  // tRNS for grey and RGB: the one colour (at the image's bit depth) that is transparent.
  const key =
    transparency === undefined || colourType === 3
      ? undefined
      : Array.from({ length: transparency.length / 2 }, (_, i) => (transparency[2 * i]! << 8) | transparency[2 * i + 1]!);
  const rowStart = (pass.y0 + y * pass.dy) * header.width;
  for (let x = 0; x < pass.width; x++) {
    const out = 4 * (rowStart + pass.x0 + x * pass.dx);
    const first = x * channels;
    if (colourType === 3) {
      const index = sample(first);
      if (3 * index >= palette!.length) fail(`a pixel uses palette entry ${index}, past the palette's ${palette!.length / 3} colours.`);
      image[out] = palette![3 * index]!;
      image[out + 1] = palette![3 * index + 1]!;
      image[out + 2] = palette![3 * index + 2]!;
      image[out + 3] = transparency !== undefined && index < transparency.length ? transparency[index]! : 255;
    } else if (channels <= 2) {
      const grey = sample(first);
      image[out] = image[out + 1] = image[out + 2] = eightBit(grey);
      image[out + 3] = channels === 2 ? eightBit(sample(first + 1)) : key !== undefined && key[0] === grey ? 0 : 255;
    } else {
      const [red, green, blue] = [sample(first), sample(first + 1), sample(first + 2)];
      image[out] = eightBit(red);
      image[out + 1] = eightBit(green);
      image[out + 2] = eightBit(blue);
      image[out + 3] =
        channels === 4 ? eightBit(sample(first + 3)) : key !== undefined && key[0] === red && key[1] === green && key[2] === blue ? 0 : 255;
    }
  }
}

/**
 * Decodes a PNG of any kind (grey, grey + alpha, RGB, RGBA or a palette; 1, 2, 4, 8 or 16 bits per
 * sample; interlaced or not; tRNS transparency) into 8-bit RGBA, in bounded memory: the IHDR
 * (wherever it sits among the chunks before the image data) is checked against `maxPixels`
 * before anything is allocated, the image data is inflated in small pieces and refused once it
 * passes the bytes the IHDR implies, and colour profiles and compressed text are skipped unread.
 * Chunk checksums are verified.
 *
 * @throws {InvalidArgumentError} naming what is wrong: not a PNG, a damaged chunk, a picture past
 *   `maxPixels`, image data that inflates past (a bomb) or short of its size.
 * @example const { data, width, height } = decodePng(await readFile('digit.png'), { maxPixels: 8_000_000 });
 */
export function decodePng(bytes: Uint8Array, options: DecodePngOptions = {}): RgbaImage {
  requireKnownKeys('decodePng', 'options', options, { maxPixels: true } satisfies KnownKeys<DecodePngOptions>);
  const maxPixels = requirePositiveInteger('decodePng', 'options.maxPixels', options.maxPixels ?? 25_000_000);
  if (bytes.length < 8 || !SIGNATURE.every((byte, index) => bytes[index] === byte))
    fail('the bytes are not a valid PNG (no PNG signature).', bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  let image: Uint8ClampedArray | undefined;
  let rows: RowAssembler | undefined;
  let inflater: Unzlib | undefined;
  let dataEnded = false;
  let ended = false;
  let offset = 8;
  while (!ended) {
    if (offset + 12 > bytes.length) fail(`the PNG is truncated at byte ${offset}: a chunk or the IEND chunk is missing.`);
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (length > 2 ** 31 - 1 || offset + 12 + length > bytes.length)
      fail(`the ${JSON.stringify(type)} chunk at byte ${offset} claims ${length} bytes, past the end of the file (truncated).`);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const critical = type === 'IHDR' || type === 'PLTE' || type === 'IDAT' || type === 'IEND';
    if (critical && crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)) {
      fail(`the ${type} chunk at byte ${offset} fails its checksum (a damaged file).`);
    }
    if (header === undefined && critical && type !== 'IHDR') fail(`the ${type} chunk at byte ${offset} comes before the IHDR chunk.`);
    if (type === 'IHDR') {
      if (header !== undefined) fail(`a second IHDR chunk at byte ${offset}.`);
      header = readHeader(data, maxPixels);
    } else if (type === 'PLTE') {
      if (length % 3 !== 0 || length === 0 || length > 768)
        fail(`its PLTE chunk holds ${length} bytes, where a palette holds 3 per colour, 1 to 256 colours.`);
      palette = data;
    } else if (type === 'tRNS') {
      transparency = data;
    } else if (type === 'IDAT') {
      if (dataEnded) fail(`an IDAT chunk at byte ${offset} after other chunks: the image data must be consecutive.`);
      if (rows === undefined) {
        if (header!.colourType === 3 && palette === undefined) fail('a palette picture without a PLTE chunk.');
        image = new Uint8ClampedArray(header!.width * header!.height * 4);
        rows = new RowAssembler(header!, image, palette, transparency);
        const assembler = rows;
        inflater = new Unzlib((chunk) => assembler.push(chunk));
      }
      for (let piece = 0; piece < length; piece += INFLATE_PIECE) {
        try {
          inflater!.push(data.subarray(piece, Math.min(length, piece + INFLATE_PIECE)));
        } catch (error) {
          if (InvalidArgumentError.isInstance(error)) throw error;
          fail(`its image data is not a valid zlib stream (${(error as Error).message}).`);
        }
      }
    } else if (type === 'IEND') {
      ended = true;
    }
    if (rows !== undefined && type !== 'IDAT') dataEnded = true;
    offset += 12 + length;
  }
  if (header === undefined) fail('the PNG has no IHDR chunk.');
  if (rows === undefined) fail('the PNG has no IDAT chunk (no image data).');
  try {
    inflater!.push(new Uint8Array(0), true);
  } catch (error) {
    if (InvalidArgumentError.isInstance(error)) throw error;
    fail(`its image data is not a valid zlib stream (${(error as Error).message}).`);
  }
  rows.finish();
  return { data: image!, width: header.width, height: header.height };
}

/** Collects inflated bytes into rows, unfilters each and writes it out; refuses bytes past the image. */
class RowAssembler {
  private readonly passes: Pass[];
  private readonly expected: number;
  private readonly step: number;
  private received = 0;
  private pass = 0;
  private y = 0;
  private row: Uint8Array;
  private spare: Uint8Array;
  private previous: Uint8Array;
  private filled = 0;

  constructor(
    private readonly header: Header,
    private readonly image: Uint8ClampedArray,
    private readonly palette: Uint8Array | undefined,
    private readonly transparency: Uint8Array | undefined,
  ) {
    this.passes = passesOf(header);
    this.expected = this.passes.reduce((total, pass) => total + pass.height * (1 + rowBytes(header, pass.width)), 0);
    this.step = Math.max(1, (header.channels * header.depth) >> 3);
    this.row = new Uint8Array(1 + rowBytes(header, this.passes[0]!.width));
    this.spare = new Uint8Array(this.row.length);
    this.previous = new Uint8Array(this.row.length - 1);
  }

  push(chunk: Uint8Array): void {
    this.received += chunk.length;
    if (this.received > this.expected) {
      const { width, height } = this.header;
      fail(
        `its image data inflates past the ${this.expected} bytes its ${width} x ${height} IHDR implies (a damaged file or a ` +
          'decompression bomb); inflation was stopped there.',
        { width, height, expected: this.expected },
      );
    }
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(this.row.length - this.filled, chunk.length - at);
      this.row.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.row.length) this.completeRow();
    }
  }

  private completeRow(): void {
    const pass = this.passes[this.pass]!;
    const row = this.row.subarray(1);
    unfilter(this.row[0]!, row, this.previous, this.step);
    writeRow(this.header, row, pass, this.y, this.image, this.palette, this.transparency);
    this.filled = 0;
    if (++this.y < pass.height) {
      // The finished row is the next one's previous row; the older buffer takes the next row.
      [this.row, this.spare] = [this.spare, this.row];
      this.previous = row;
      return;
    }
    this.y = 0;
    if (++this.pass < this.passes.length) {
      this.row = new Uint8Array(1 + rowBytes(this.header, this.passes[this.pass]!.width));
      this.spare = new Uint8Array(this.row.length);
      this.previous = new Uint8Array(this.row.length - 1);
    }
  }

  finish(): void {
    if (this.received < this.expected) {
      fail(`its image data inflates to ${this.received} bytes, short of the ${this.expected} its IHDR implies (a truncated file).`);
    }
  }
}
