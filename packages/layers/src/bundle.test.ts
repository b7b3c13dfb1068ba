import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@sdae/core';
import { decodeBundle, encodeBundle, packValues } from './bundle';
import { ModelFormatError } from './errors';

describe('encodeBundle and decodeBundle', () => {
  it('lay out the signature, version, padded JSON and little-endian float32 values', () => {
    const bytes = encodeBundle({ meta: { kind: 'x' }, tensors: [{ name: 'W', shape: [2], values: Float32Array.of(1, -2) }] });
    const json = '{"kind":"x","tensors":[{"name":"W","shape":[2]}]}';
    const paddedLength = Math.ceil(json.length / 4) * 4;
    expect(Array.from(bytes.subarray(0, 12))).toEqual([0x53, 0x44, 0x41, 0x45, 1, 0, 0, 0, paddedLength, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(12, 12 + paddedLength)).trimEnd()).toBe(json);
    // 1.0f = 0x3f800000 and -2.0f = 0xc0000000, least significant byte first.
    expect(Array.from(bytes.subarray(12 + paddedLength))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    expect(decodeBundle(bytes)).toEqual({ meta: { kind: 'x' }, tensors: [{ name: 'W', shape: [2], values: Float32Array.of(1, -2) }] });
  });

  it('refuses another format version and a bad tensor list, naming the file', () => {
    const bytes = encodeBundle({ meta: {}, tensors: [] });
    const future = Uint8Array.from(bytes);
    future[4] = 2;
    expect(() => decodeBundle(future, 'run.ckpt')).toThrow(
      'run.ckpt: format version is wrong: expected 1, found 2. Save it again with this version of sdae.',
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
});

describe('packValues', () => {
  it('refuses a tensor whose values do not fill its shape, naming the tensor and both sizes', () => {
    const pack = () => packValues([{ name: 'W', shape: [2, 2], values: Float32Array.of(1, 2, 3) }]);
    expect(pack).toThrow(InvalidArgumentError);
    expect(pack).toThrow('packValues: W has shape [2, 2], which holds 4 values, but it has 3 values.');
  });
});
