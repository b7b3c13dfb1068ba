import { decode as decodeJpeg } from 'jpeg-js';
import { InvalidArgumentError } from '@sdae/core';
import { readRegularFile, type RgbaPixels } from '@sdae/datasets';
import { decodePng } from '@sdae/vis';

/** The formats `sdae predict` reads, by the bytes every such file starts with. */
const SIGNATURES = [
  { format: 'PNG', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { format: 'JPEG', bytes: [0xff, 0xd8, 0xff] },
] as const;

/**
 * The largest picture decoded per format, in pixels. A picture of one digit needs far fewer (the
 * network sees 28 x 28); these keep a whole `sdae predict` under 300 MB (measured in
 * hostile-pictures.test.ts): a PNG costs about 16 bytes per pixel whatever its bit depth (4
 * megapixels, 2448 x 1632), but jpeg-js holds about 45 bytes per pixel of a colour JPEG while
 * decoding it (1.5 megapixels, 1414 x 1060).
 */
export const MAX_PIXELS = { PNG: 4_000_000, JPEG: 1_500_000 } as const;

/** The largest picture file read: a picture of one digit within {@link MAX_PIXELS} is far smaller, even as a 16-bit PNG. */
export const MAX_PICTURE_BYTES = 32 * 1024 * 1024;

/** The memory jpeg-js may count while decoding, in MB (it counts part of what it takes): a 1.5-megapixel colour JPEG needs about 26. */
const JPEG_MEMORY_MB = 48;

/** A picture file's format from its first bytes, or undefined when it is neither PNG nor JPEG. */
export function imageFormat(bytes: Uint8Array): 'PNG' | 'JPEG' | undefined {
  return SIGNATURES.find(({ bytes: signature }) => signature.every((byte, index) => bytes[index] === byte))?.format;
}

/** What a file starts with, for an error message: printable text as text, else hex bytes. */
function firstBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'nothing (an empty file)';
  const head = bytes.subarray(0, 8);
  const text = Buffer.from(head).toString('latin1');
  const hex = Array.from(head, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return /^[\x20-\x7e\t\r\n]+$/.test(text) ? `"${JSON.stringify(text).slice(1, -1)}" (${hex})` : hex;
}

/**
 * The size a JPEG's frame header (SOF) gives, wherever it sits among the segments before the
 * image data, or undefined when none is found there (jpeg-js then says what is wrong). With
 * several frame headers, the largest.
 */
export function jpegFrameSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let largest: { width: number; height: number } | undefined;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return largest;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return largest;
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    const frame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (frame && offset + 9 <= bytes.length) {
      const height = (bytes[offset + 5]! << 8) | bytes[offset + 6]!;
      const width = (bytes[offset + 7]! << 8) | bytes[offset + 8]!;
      if (largest === undefined || width * height > largest.width * largest.height) largest = { width, height };
    }
    offset += 2 + length;
  }
  return largest;
}

/**
 * Decodes a PNG or JPEG picture (told apart by its first bytes, not its name) as RGBA pixels,
 * within the budget of {@link MAX_PIXELS} checked on the picture's real header (PNG's IHDR,
 * JPEG's frame header) before anything is decoded; a PNG's image data is inflated no further
 * than that header implies. `sdae predict` decodes every picture through here.
 *
 * @param file how to name the picture in messages (its path).
 * @param flagName how the command line names the file, e.g. `IMAGE` (the argument).
 * @throws {InvalidArgumentError} naming `flagName` and the file when it is neither PNG nor JPEG
 *   (saying what its first bytes are), is damaged, or holds more pixels than {@link MAX_PIXELS} allows its format.
 */
export function decodeDigitImage(bytes: Uint8Array, file: string, flagName = 'IMAGE'): RgbaPixels & { format: 'PNG' | 'JPEG' } {
  const refuse = (problem: string): never => {
    throw new InvalidArgumentError(flagName, file, `${flagName} ${file} ${problem}`);
  };
  const format = imageFormat(bytes);
  const tooLarge = (width: number, height: number): never =>
    refuse(
      `is ${width} x ${height} pixels (${((width * height) / 1e6).toFixed(1)} megapixels), more than the ${MAX_PIXELS[format!] / 1e6} ` +
        `megapixels a ${format} is read at; nothing was decoded. Scale it down: the network sees 28 x 28 pixels.`,
    );
  if (format === undefined) {
    return refuse(
      `is not a PNG or JPEG file: it starts with ${firstBytes(bytes)}, where a PNG starts with 89 50 4e 47 0d 0a 1a 0a and a JPEG ` +
        'with ff d8 ff. Pass a PNG or JPEG picture of a digit.',
    );
  }
  try {
    if (format === 'PNG') return { ...decodePng(bytes, { maxPixels: MAX_PIXELS.PNG }), format };
    const frame = jpegFrameSize(bytes);
    if (frame !== undefined && frame.width * frame.height > MAX_PIXELS.JPEG) tooLarge(frame.width, frame.height);
    const jpeg = decodeJpeg(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS.JPEG / 1e6,
      maxMemoryUsageInMB: JPEG_MEMORY_MB,
    });
    return { data: jpeg.data, width: jpeg.width, height: jpeg.height, format };
  } catch (error) {
    if (InvalidArgumentError.isInstance(error) && error.argument === flagName) throw error;
    const value = InvalidArgumentError.isInstance(error) ? (error.value as { width?: number; height?: number } | undefined) : undefined;
    if (value?.width !== undefined && value.height !== undefined && value.width * value.height > MAX_PIXELS.PNG)
      tooLarge(value.width, value.height);
    const reason = (error as Error).message.replace(/^decodePng: /, '').replace(/\.$/, '');
    return refuse(`starts as a ${format} file but cannot be decoded (${reason}); save the picture again as PNG or JPEG.`);
  }
}

/**
 * Reads a PNG or JPEG file as RGBA pixels: a regular file (not a FIFO or device) of at most
 * {@link MAX_PICTURE_BYTES}, decoded by {@link decodeDigitImage}.
 *
 * @param flagName how the command line names the file, e.g. `IMAGE` (the argument) for messages.
 * @throws {InvalidArgumentError} naming the file when it cannot be read, is not a regular file, is
 *   too large, or is refused by {@link decodeDigitImage}.
 */
export async function readDigitImage(file: string, flagName = 'IMAGE'): Promise<RgbaPixels & { format: 'PNG' | 'JPEG' }> {
  const bytes = await readRegularFile(file, {
    caller: flagName,
    kind: 'a PNG or JPEG picture',
    maxBytes: MAX_PICTURE_BYTES,
    fix: `Pass a PNG or JPEG picture of a digit (at most ${MAX_PICTURE_BYTES / 1024 / 1024} MiB).`,
    makeError: (_, message) => new InvalidArgumentError(flagName, file, message),
  });
  return decodeDigitImage(bytes, file, flagName);
}
