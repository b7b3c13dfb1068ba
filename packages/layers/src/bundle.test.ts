import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, crc32 } from '@sdae/core';
import { decodeBundle, encodeBundle, packTensors } from './bundle';
import { ModelFormatError } from './errors';

/** The checksum of a tensor as the format defines it: CRC-32 of "name[shape]" then the value bytes. */
function checksum(name: string, shape: number[], bytes: number[]): number {
  return crc32(Uint8Array.from(bytes), crc32(new TextEncoder().encode(`${name}[${shape.join(',')}]`)));
}

describe('encodeBundle and decodeBundle', () => {
  it('lay out the signature, version, JSON length and checksum, padded JSON and little-endian float32 values', () => {
    const bytes = encodeBundle({ meta: { kind: 'x' }, tensors: [{ name: 'W', shape: [2], values: Float32Array.of(1, -2) }] });
    // 1.0f = 0x3f800000 and -2.0f = 0xc0000000, least significant byte first.
    const values = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0];
    const json = `{"kind":"x","tensors":[{"name":"W","shape":[2],"dtype":"float32","crc32":${checksum('W', [2], values)}}]}`;
    const paddedLength = Math.ceil(json.length / 4) * 4;
    const view = new DataView(bytes.buffer);
    expect(Array.from(bytes.subarray(0, 12))).toEqual([0x53, 0x44, 0x41, 0x45, 2, 0, 0, 0, paddedLength, 0, 0, 0]);
    expect(view.getUint32(12, true)).toBe(crc32(bytes.subarray(16, 16 + paddedLength)));
    expect(new TextDecoder().decode(bytes.subarray(16, 16 + paddedLength)).trimEnd()).toBe(json);
    expect(Array.from(bytes.subarray(16 + paddedLength))).toEqual(values);
    expect(decodeBundle(bytes)).toEqual({
      meta: { kind: 'x' },
      tensors: [{ name: 'W', shape: [2], values: Float32Array.of(1, -2) }],
      verified: true,
    });
  });

  it('refuses another format version and a bad tensor list, naming the file', () => {
    const bytes = encodeBundle({ meta: {}, tensors: [] });
    const future = Uint8Array.from(bytes);
    future[4] = 3;
    expect(() => decodeBundle(future, 'run.ckpt')).toThrow(
      'run.ckpt: format version is wrong: expected 2 (or 1), found 3. Save it again with this version of sdae.',
    );
    const json = new TextEncoder().encode('{"tensors":"none"} ');
    const foreign = new Uint8Array(12 + json.length);
    foreign.set([0x53, 0x44, 0x41, 0x45, 1, 0, 0, 0, json.length, 0, 0, 0]);
    foreign.set(json, 12);
    expect(() => decodeBundle(foreign, 'run.ckpt')).toThrow(ModelFormatError);
    expect(() => decodeBundle(foreign, 'run.ckpt')).toThrow(
      /run.ckpt: tensor list is wrong: expected an array of \{ name, shape \}, found "none"/,
    );
  });

  it('reads a version 1 buffer (no checksums) as unverified', () => {
    const json = new TextEncoder().encode('{"kind":"old","tensors":[{"name":"W","shape":[1]}]}');
    const old = new Uint8Array(12 + json.length + 4);
    old.set([0x53, 0x44, 0x41, 0x45, 1, 0, 0, 0, json.length, 0, 0, 0]);
    old.set(json, 12);
    old.set([0, 0, 0x80, 0x3f], 12 + json.length);
    expect(decodeBundle(old)).toEqual({
      meta: { kind: 'old' },
      tensors: [{ name: 'W', shape: [1], values: Float32Array.of(1) }],
      verified: false,
    });
  });

  const tensors = [
    { name: 'b', shape: [2], values: Float32Array.of(1, 2) },
    { name: 'bPrime', shape: [2], values: Float32Array.of(3, 4) },
  ];

  it('catches a flipped bit in any value, naming the file and the tensor', () => {
    const bytes = encodeBundle({ meta: {}, tensors });
    for (let bit = 0; bit < 16 * 8; bit++) {
      const damaged = Uint8Array.from(bytes);
      const offset = bytes.length - 16 + (bit >> 3);
      damaged[offset] ^= 1 << (bit & 7);
      const name = offset < bytes.length - 8 ? 'b' : 'bPrime';
      expect(() => decodeBundle(damaged, 'da.sdae')).toThrow(`da.sdae: tensor ${name} fails its checksum`);
    }
  });

  it('catches an edited manifest: swapped names, a reversed shape, a dropped checksum', () => {
    const { manifest, data } = packTensors([{ name: 'W', shape: [2, 3], values: new Float32Array(6).fill(0.5) }, ...tensors]);
    const rebuilt = (edit: (entries: typeof manifest) => void) => {
      const entries = structuredClone(manifest);
      edit(entries);
      const json = new TextEncoder().encode(
        JSON.stringify({ tensors: entries }).padEnd(Math.ceil(JSON.stringify({ tensors: entries }).length / 4) * 4),
      );
      const bytes = new Uint8Array(16 + json.length + data.length);
      bytes.set([0x53, 0x44, 0x41, 0x45, 2, 0, 0, 0]);
      new DataView(bytes.buffer).setUint32(8, json.length, true);
      new DataView(bytes.buffer).setUint32(12, crc32(json), true);
      bytes.set(json, 16);
      bytes.set(data, 16 + json.length);
      return bytes;
    };
    expect(() => decodeBundle(rebuilt(() => {}))).not.toThrow();
    expect(() => decodeBundle(rebuilt((entries) => ([entries[1]!.name, entries[2]!.name] = ['bPrime', 'b'])))).toThrow(
      /fails its checksum/,
    );
    expect(() => decodeBundle(rebuilt((entries) => entries[0]!.shape.reverse()))).toThrow(/tensor W fails its checksum/);
    expect(() => decodeBundle(rebuilt((entries) => delete (entries[0] as { crc32?: number }).crc32))).toThrow(
      /tensor W is wrong: expected a dtype and a crc32/,
    );
    expect(() => decodeBundle(rebuilt((entries) => ((entries[0] as { dtype: string }).dtype = 'int32')))).toThrow(
      /dtype of tensor W is wrong/,
    );
  });

  it('catches an edited metadata byte by its checksum', () => {
    const bytes = encodeBundle({ meta: { hiddenSize: 5 }, tensors });
    const edited = Uint8Array.from(bytes);
    const at = new TextDecoder().decode(bytes).indexOf('5');
    edited[at] = '6'.charCodeAt(0);
    expect(() => decodeBundle(edited, 'm.sdae')).toThrow('m.sdae: the metadata fails its checksum');
  });
});

describe('packTensors', () => {
  it('refuses a tensor whose values do not fill its shape, naming the tensor and both sizes', () => {
    const pack = () => packTensors([{ name: 'W', shape: [2, 2], values: Float32Array.of(1, 2, 3) }]);
    expect(pack).toThrow(InvalidArgumentError);
    expect(pack).toThrow('packTensors: W has shape [2, 2], which holds 4 values, but it has 3 values.');
  });
});
