import { encode as encodeJpeg } from 'jpeg-js';
import { InvalidArgumentError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { decodeDigitImage, jpegFrameSize } from './digit-image';
import { concat } from './picture-bytes.test-helper';

/** A small grey JPEG (jpeg-js writes an APP0 segment, tables, then the frame header). */
function smallJpeg(): Uint8Array {
  const data = new Uint8Array(16 * 8 * 4).fill(255);
  return new Uint8Array(encodeJpeg({ data, width: 16, height: 8 }, 90).data);
}

/** The offset of the first frame header (SOF0) marker. */
function frameOffset(bytes: Uint8Array): number {
  return bytes.findIndex((byte, index) => byte === 0xff && bytes[index + 1] === 0xc0);
}

describe('jpegFrameSize', () => {
  it("reads the frame header's size past the segments before it", () => {
    expect(jpegFrameSize(smallJpeg())).toEqual({ width: 16, height: 8 });
  });

  it('finds the frame header behind an added comment segment', () => {
    const jpeg = smallJpeg();
    const comment = Uint8Array.of(0xff, 0xfe, 0x00, 0x07, ...new TextEncoder().encode('hello'));
    expect(jpegFrameSize(concat(jpeg.subarray(0, 2), comment, jpeg.subarray(2)))).toEqual({ width: 16, height: 8 });
  });
});

describe('decodeDigitImage', () => {
  it('refuses a JPEG whose frame header claims more than 1.5 megapixels before decoding it', () => {
    const jpeg = smallJpeg();
    const sof = frameOffset(jpeg);
    new DataView(jpeg.buffer).setUint16(sof + 5, 3000);
    new DataView(jpeg.buffer).setUint16(sof + 7, 3000);
    let caught: unknown;
    try {
      decodeDigitImage(jpeg, 'big.jpg');
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      'IMAGE big.jpg is 3000 x 3000 pixels (9.0 megapixels), more than the 1.5 megapixels a JPEG is read at; nothing was decoded. ' +
        'Scale it down: the network sees 28 x 28 pixels.',
    );
  });

  it('decodes a JPEG within the budget', () => {
    const picture = decodeDigitImage(smallJpeg(), 'small.jpg');
    expect([picture.format, picture.width, picture.height, picture.data.length]).toEqual(['JPEG', 16, 8, 16 * 8 * 4]);
  });
});
