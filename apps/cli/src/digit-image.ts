import { readFile } from 'node:fs/promises';
import { decode as decodeJpeg } from 'jpeg-js';
import { InvalidArgumentError } from '@sdae/core';
import type { RgbaPixels } from '@sdae/datasets';
import { decodePng } from '@sdae/vis';

/** The formats `sdae predict` reads, by the bytes every such file starts with. */
const SIGNATURES = [
  { format: 'PNG', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { format: 'JPEG', bytes: [0xff, 0xd8, 0xff] },
] as const;

/** The largest picture read, in pixels (a photo of 25 megapixels; a drawn digit is far smaller). */
const MAX_PIXELS = 25_000_000;

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
 * Reads a PNG or JPEG file (told apart by its first bytes, not its name) as RGBA pixels.
 *
 * @param flagName how the command line names the file, e.g. `IMAGE` (the argument) for messages.
 * @throws {InvalidArgumentError} naming the file when it cannot be read, is neither PNG nor JPEG
 *   (saying what its first bytes are), is damaged, or holds more than 25 megapixels.
 */
export async function readDigitImage(file: string, flagName = 'IMAGE'): Promise<RgbaPixels & { format: 'PNG' | 'JPEG' }> {
  const refuse = (problem: string): never => {
    throw new InvalidArgumentError(flagName, file, `${flagName} ${file} ${problem}`);
  };
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) =>
    refuse(`cannot be read (${error.code ?? error.message}); pass the path of a PNG or JPEG picture of a digit.`),
  );
  const format = imageFormat(bytes);
  if (format === undefined) {
    return refuse(
      `is not a PNG or JPEG file: it starts with ${firstBytes(bytes)}, where a PNG starts with 89 50 4e 47 0d 0a 1a 0a and a JPEG ` +
        'with ff d8 ff. Pass a PNG or JPEG picture of a digit.',
    );
  }
  try {
    if (format === 'PNG') {
      const width = bytes.length >= 24 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(16) : 0;
      const height = bytes.length >= 24 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(20) : 0;
      if (width * height > MAX_PIXELS)
        refuse(`is ${width} x ${height} pixels, more than the ${MAX_PIXELS / 1e6} megapixels read; scale it down.`);
      return { ...decodePng(bytes), format };
    }
    const jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    return { data: jpeg.data, width: jpeg.width, height: jpeg.height, format };
  } catch (error) {
    if (InvalidArgumentError.isInstance(error) && error.argument === flagName) throw error;
    return refuse(`starts as a ${format} file but cannot be decoded (${(error as Error).message}); save the picture again as PNG or JPEG.`);
  }
}
