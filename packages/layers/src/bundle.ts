import { InvalidArgumentError } from '@sdae/core';
import { ModelFormatError } from './errors';

/** A named float32 array with its shape, as stored in a bundle. */
export interface BundleTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** JSON metadata and float32 arrays: the content of a saved model or checkpoint. */
export interface TensorBundle {
  meta: Record<string, unknown>;
  tensors: BundleTensor[];
}

const MAGIC = [0x53, 0x44, 0x41, 0x45]; // "SDAE"
const FORMAT_VERSION = 1;
const HEADER_BYTES = 12;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/**
 * Packs JSON metadata and named float32 arrays into one buffer: "SDAE", a format version, the
 * JSON length, the JSON (with the tensor names and shapes) padded to 4 bytes, then the values
 * little-endian in order. Works the same in Node and browsers.
 *
 * @example const bytes = encodeBundle({ meta: { kind: 'demo' }, tensors: [{ name: 'W', shape: [2], values: Float32Array.of(1, 2) }] });
 */
export function encodeBundle(bundle: TensorBundle): Uint8Array {
  const manifest = bundle.tensors.map(({ name, shape }) => ({ name, shape }));
  let json = new TextEncoder().encode(JSON.stringify({ ...bundle.meta, tensors: manifest }));
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) {
    const withPadding = new Uint8Array(padded).fill(0x20);
    withPadding.set(json);
    json = withPadding;
  }
  const values = packValues(bundle.tensors);
  const bytes = new Uint8Array(HEADER_BYTES + json.length + values.length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, HEADER_BYTES);
  bytes.set(values, HEADER_BYTES + json.length);
  return bytes;
}

/** The tensors' values back to back, float32 little-endian (the `weights.bin` of a saved model). */
export function packValues(tensors: readonly BundleTensor[]): Uint8Array {
  const bytes = new Uint8Array(tensors.reduce((total, tensor) => total + tensor.values.length * 4, 0));
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const tensor of tensors) {
    if (sizeOf(tensor.shape) !== tensor.values.length) {
      throw new InvalidArgumentError(
        'tensors',
        tensor,
        `packValues: ${tensor.name} has shape [${tensor.shape.join(', ')}], which holds ${sizeOf(tensor.shape)} values, but it has ` +
          `${tensor.values.length} values. Pass values whose length is the product of the shape.`,
      );
    }
    for (let index = 0; index < tensor.values.length; index++, offset += 4) view.setFloat32(offset, tensor.values[index], true);
  }
  return bytes;
}

/**
 * Reads values packed by {@link packValues} for the tensors named in `manifest`.
 *
 * @throws {ModelFormatError} unless `data` holds exactly the values the manifest describes.
 */
export function unpackValues(manifest: unknown, data: Uint8Array, file: string): BundleTensor[] {
  const fix = 'The file is truncated or not an sdae model/checkpoint; save it again.';
  if (
    !Array.isArray(manifest) ||
    !manifest.every(
      (entry) =>
        typeof entry?.name === 'string' &&
        Array.isArray(entry?.shape) &&
        entry.shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0),
    )
  ) {
    throw formatError(file, 'tensor list', 'an array of { name, shape }', JSON.stringify(manifest)?.slice(0, 80) ?? 'nothing', fix);
  }
  const entries = manifest as { name: string; shape: number[] }[];
  const expectedBytes = entries.reduce((total, entry) => total + sizeOf(entry.shape) * 4, 0);
  if (expectedBytes !== data.length) {
    throw formatError(file, 'size of the weight data', `${expectedBytes} bytes`, `${data.length} bytes`, fix);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  return entries.map(({ name, shape }) => {
    const values = new Float32Array(sizeOf(shape));
    for (let index = 0; index < values.length; index++, offset += 4) values[index] = view.getFloat32(offset, true);
    return { name, shape: [...shape], values };
  });
}

export function formatError(file: string, field: string, expected: string, found: string, fix: string): ModelFormatError {
  return new ModelFormatError({ file, field, expected, found }, `${file}: ${field} is wrong: expected ${expected}, found ${found}. ${fix}`);
}

/**
 * Unpacks a buffer written by {@link encodeBundle}, checking the magic, the version, the JSON
 * and that the values fill the buffer exactly.
 *
 * @param file what to call the buffer in errors (a path, or `'<bytes>'`).
 * @throws {ModelFormatError} for a truncated, corrupt or foreign buffer.
 */
export function decodeBundle(bytes: Uint8Array, file = '<bytes>'): TensorBundle {
  const fix = 'The file is truncated or not an sdae model/checkpoint; save it again.';
  if (bytes.length < HEADER_BYTES || !MAGIC.every((byte, index) => bytes[index] === byte)) {
    const found =
      bytes.length < 4
        ? `${bytes.length} bytes`
        : `bytes ${Array.from(bytes.subarray(0, 4), (byte) => byte.toString(16).padStart(2, '0')).join(' ')}`;
    throw formatError(file, 'header', 'the "SDAE" signature and a 12-byte header', found, fix);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw formatError(file, 'format version', String(FORMAT_VERSION), String(version), 'Save it again with this version of sdae.');
  }
  const jsonLength = view.getUint32(8, true);
  if (HEADER_BYTES + jsonLength > bytes.length) {
    throw formatError(file, 'metadata length', `at most ${bytes.length - HEADER_BYTES} bytes`, `${jsonLength}`, fix);
  }
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength))) as Record<string, unknown>;
  } catch (error) {
    throw formatError(file, 'metadata', 'valid JSON', (error as Error).message, fix);
  }
  const tensors = unpackValues(meta.tensors, bytes.subarray(HEADER_BYTES + jsonLength), file);
  delete meta.tensors;
  return { meta, tensors };
}
