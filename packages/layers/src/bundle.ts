import { InvalidArgumentError, crc32 } from '@sdae/core';
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
  /**
   * Set by the decoders: false for a file written before sdae stored checksums (bundle version 1,
   * a model.json without them), whose weights could not be verified.
   */
  verified?: boolean;
}

/** How a tensor is described in a bundle's or a saved model's manifest. */
export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** CRC-32 of the tensor's name and shape (as `name[2,3]`) followed by its float32 little-endian bytes. */
  crc32: number;
}

const MAGIC = [0x53, 0x44, 0x41, 0x45]; // "SDAE"
/** Version 2 adds a CRC-32 of the metadata to the header and one per tensor to the manifest. */
const FORMAT_VERSION = 2;
const HEADER_BYTES = 16;
const LEGACY_VERSION = 1;
const LEGACY_HEADER_BYTES = 12;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/**
 * Packs JSON metadata and named float32 arrays into one buffer: "SDAE", the format version (2),
 * the JSON length, the JSON's CRC-32, the JSON (with each tensor's name, shape, dtype and CRC-32)
 * padded to 4 bytes, then the values little-endian in order. Works the same in Node and browsers.
 *
 * @example const bytes = encodeBundle({ meta: { kind: 'demo' }, tensors: [{ name: 'W', shape: [2], values: Float32Array.of(1, 2) }] });
 */
export function encodeBundle(bundle: TensorBundle): Uint8Array {
  const { manifest, data } = packTensors(bundle.tensors);
  let json = new TextEncoder().encode(JSON.stringify({ ...bundle.meta, tensors: manifest }));
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) {
    const withPadding = new Uint8Array(padded).fill(0x20);
    withPadding.set(json);
    json = withPadding;
  }
  const bytes = new Uint8Array(HEADER_BYTES + json.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  view.setUint32(12, crc32(json), true);
  bytes.set(json, HEADER_BYTES);
  bytes.set(data, HEADER_BYTES + json.length);
  return bytes;
}

/** The checksum of a tensor: its name and shape, then its bytes, so that a renamed or reshaped entry fails too. */
function tensorChecksum(name: string, shape: readonly number[], bytes: Uint8Array): number {
  return crc32(bytes, crc32(new TextEncoder().encode(`${name}[${shape.join(',')}]`)));
}

/**
 * The tensors' values back to back, float32 little-endian (the `weights.bin` of a saved model),
 * and the manifest that describes them, with a CRC-32 per tensor.
 *
 * @throws {InvalidArgumentError} for a tensor whose values do not fill its shape.
 */
export function packTensors(tensors: readonly BundleTensor[]): { manifest: ManifestEntry[]; data: Uint8Array } {
  const data = new Uint8Array(tensors.reduce((total, tensor) => total + tensor.values.length * 4, 0));
  const view = new DataView(data.buffer);
  const manifest: ManifestEntry[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    if (sizeOf(tensor.shape) !== tensor.values.length) {
      throw new InvalidArgumentError(
        'tensors',
        tensor,
        `packTensors: ${tensor.name} has shape [${tensor.shape.join(', ')}], which holds ${sizeOf(tensor.shape)} values, but it has ` +
          `${tensor.values.length} values. Pass values whose length is the product of the shape.`,
      );
    }
    const start = offset;
    for (let index = 0; index < tensor.values.length; index++, offset += 4) view.setFloat32(offset, tensor.values[index], true);
    const shape = [...tensor.shape];
    manifest.push({ name: tensor.name, shape, dtype: 'float32', crc32: tensorChecksum(tensor.name, shape, data.subarray(start, offset)) });
  }
  return { manifest, data };
}

/**
 * The bytes a manifest's tensors fill (4 per float32 value), or undefined when `manifest` is not
 * a list of `{ name, shape }` ({@link unpackTensors} says why): what a weights file must hold,
 * known before it is read.
 */
export function manifestBytes(manifest: unknown): number | undefined {
  if (!Array.isArray(manifest)) return undefined;
  let total = 0;
  for (const entry of manifest as { name?: unknown; shape?: unknown }[]) {
    if (typeof entry?.name !== 'string' || !Array.isArray(entry.shape)) return undefined;
    if (!entry.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0)) return undefined;
    total += sizeOf(entry.shape as number[]) * 4;
  }
  return total;
}

/**
 * Reads values packed by {@link packTensors} for the tensors named in `manifest`, checking the
 * manifest, that `data` holds exactly the bytes it describes (before anything is allocated) and
 * each tensor's checksum. A manifest with no checksums at all (written by an older sdae) is read
 * unverified: `verified` is false.
 *
 * @throws {ModelFormatError} naming `file` and the tensor that is wrong.
 */
export function unpackTensors(manifest: unknown, data: Uint8Array, file: string): { tensors: BundleTensor[]; verified: boolean } {
  const fix = 'The file is truncated, corrupt or not an sdae model/checkpoint; save it again.';
  if (
    !Array.isArray(manifest) ||
    !manifest.every(
      (entry) =>
        typeof entry?.name === 'string' &&
        Array.isArray(entry?.shape) &&
        entry.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0),
    )
  ) {
    throw formatError(file, 'tensor list', 'an array of { name, shape }', JSON.stringify(manifest)?.slice(0, 80) ?? 'nothing', fix);
  }
  const entries = manifest as (Pick<ManifestEntry, 'name' | 'shape'> & Partial<ManifestEntry>)[];
  const names = new Set<string>();
  for (const entry of entries) {
    if (names.has(entry.name)) throw formatError(file, `tensor ${entry.name}`, 'one entry per name', 'a second entry', fix);
    names.add(entry.name);
    if (entry.dtype !== undefined && entry.dtype !== 'float32') {
      throw formatError(file, `dtype of tensor ${entry.name}`, '"float32"', JSON.stringify(entry.dtype) ?? 'nothing', fix);
    }
  }
  const verified = entries.some((entry) => entry.crc32 !== undefined || entry.dtype !== undefined);
  if (verified) {
    const unchecked = entries.find((entry) => !Number.isSafeInteger(entry.crc32) || entry.dtype === undefined);
    if (unchecked !== undefined) {
      throw formatError(file, `tensor ${unchecked.name}`, 'a dtype and a crc32 like every other tensor', JSON.stringify(unchecked), fix);
    }
  }
  const expectedBytes = entries.reduce((total, entry) => total + sizeOf(entry.shape) * 4, 0);
  if (expectedBytes !== data.length) {
    throw formatError(file, 'size of the weight data', `${expectedBytes} bytes`, `${data.length} bytes`, fix);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  const tensors = entries.map(({ name, shape, crc32: checksum }) => {
    const size = sizeOf(shape);
    if (verified && tensorChecksum(name, shape, data.subarray(offset, offset + size * 4)) !== checksum) {
      throw new ModelFormatError(
        { file, field: `tensor ${name}`, expected: `crc32 ${checksum}`, found: 'other bytes' },
        `${file}: tensor ${name} fails its checksum: its values, name or shape changed since it was saved (a damaged copy or an ` +
          'edited file). Use an intact copy or save the model again.',
      );
    }
    const values = new Float32Array(size);
    for (let index = 0; index < values.length; index++, offset += 4) values[index] = view.getFloat32(offset, true);
    return { name, shape: [...shape], values };
  });
  return { tensors, verified };
}

export function formatError(file: string, field: string, expected: string, found: string, fix: string): ModelFormatError {
  // `found` may be a whole sentence (another error's message): one full stop before the fix.
  return new ModelFormatError(
    { file, field, expected, found },
    `${file}: ${field} is wrong: expected ${expected}, found ${found.replace(/\.$/, '')}. ${fix}`,
  );
}

/**
 * Unpacks a buffer written by {@link encodeBundle}, checking the magic, the version, the
 * metadata's checksum, the JSON, that the values fill the buffer exactly (before allocating them)
 * and each tensor's checksum. A version 1 buffer (written before checksums) is decoded with
 * `verified: false`; the loaders warn about it (models) or refuse it (checkpoints).
 *
 * @param file what to call the buffer in errors (a path, or `'<bytes>'`).
 * @throws {ModelFormatError} for a truncated, corrupt or foreign buffer.
 */
export function decodeBundle(bytes: Uint8Array, file = '<bytes>'): TensorBundle {
  const fix = 'The file is truncated or not an sdae model/checkpoint; save it again.';
  if (bytes.length < LEGACY_HEADER_BYTES || !MAGIC.every((byte, index) => bytes[index] === byte)) {
    const found =
      bytes.length < 4
        ? `${bytes.length} bytes`
        : `bytes ${Array.from(bytes.subarray(0, 4), (byte) => byte.toString(16).padStart(2, '0')).join(' ')}`;
    throw formatError(file, 'header', 'the "SDAE" signature and a 16-byte header', found, fix);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION && version !== LEGACY_VERSION) {
    throw formatError(
      file,
      'format version',
      `${FORMAT_VERSION} (or ${LEGACY_VERSION})`,
      String(version),
      'Save it again with this version of sdae.',
    );
  }
  const headerBytes = version === FORMAT_VERSION ? HEADER_BYTES : LEGACY_HEADER_BYTES;
  if (bytes.length < headerBytes) throw formatError(file, 'header', `${headerBytes} bytes`, `${bytes.length} bytes`, fix);
  const jsonLength = view.getUint32(8, true);
  if (headerBytes + jsonLength > bytes.length) {
    throw formatError(file, 'metadata length', `at most ${bytes.length - headerBytes} bytes`, `${jsonLength}`, fix);
  }
  const json = bytes.subarray(headerBytes, headerBytes + jsonLength);
  if (version === FORMAT_VERSION && crc32(json) !== view.getUint32(12, true)) {
    throw new ModelFormatError(
      { file, field: 'metadata', expected: `crc32 ${view.getUint32(12, true)}`, found: 'other bytes' },
      `${file}: the metadata fails its checksum: it changed since it was saved (a damaged copy or an edited file). Use an intact copy or save it again.`,
    );
  }
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json)) as Record<string, unknown>;
  } catch (error) {
    throw formatError(file, 'metadata', 'valid JSON', (error as Error).message, fix);
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw formatError(file, 'metadata', 'a JSON object', JSON.stringify(meta)?.slice(0, 80) ?? 'nothing', fix);
  }
  const { tensors, verified } = unpackTensors(meta.tensors, bytes.subarray(headerBytes + jsonLength), file);
  delete meta.tensors;
  // A version 2 file always carries checksums: one whose manifest lost them was edited.
  if (version === FORMAT_VERSION && !verified && tensors.length > 0) {
    throw formatError(file, 'tensor list', 'a dtype and crc32 for every tensor', 'none', fix);
  }
  return { meta, tensors, verified: version === FORMAT_VERSION };
}

/**
 * Reads a bundle ({@link encodeBundle}'s format) of `size` bytes through `read`, checking what its
 * start promises before reading the rest: the header first, then the metadata, whose tensor list
 * says how many bytes of values follow; a bundle of another size is refused unread. A start that
 * is not a well-formed bundle is returned as it is, so that {@link decodeBundle} names what is
 * wrong from those bytes alone (a 2 GB file of zeros is read for 16 bytes).
 *
 * @throws {ModelFormatError} when the file's size differs from what its header and metadata promise.
 * @example const bytes = await readBundleBytes(file.size, (offset, length) => file.read(offset, length), path);
 */
export async function readBundleBytes(
  size: number,
  read: (offset: number, length: number) => Promise<Uint8Array>,
  file: string,
): Promise<Uint8Array> {
  const head = await read(0, Math.min(size, HEADER_BYTES));
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = head.length >= LEGACY_HEADER_BYTES ? view.getUint32(4, true) : undefined;
  const headerBytes = version === FORMAT_VERSION ? HEADER_BYTES : LEGACY_HEADER_BYTES;
  if (!MAGIC.every((byte, index) => head[index] === byte) || (version !== FORMAT_VERSION && version !== LEGACY_VERSION)) return head;
  if (head.length < headerBytes) return head;
  const jsonLength = view.getUint32(8, true);
  if (headerBytes + jsonLength > size) {
    throw formatError(
      file,
      'metadata length',
      `at most ${size - headerBytes} bytes (the file's size)`,
      `${jsonLength}`,
      'The file is truncated; save it again.',
    );
  }
  const start = await read(0, headerBytes + jsonLength);
  let promised: number | undefined;
  try {
    promised = manifestBytes((JSON.parse(new TextDecoder().decode(start.subarray(headerBytes))) as { tensors?: unknown }).tensors);
  } catch {
    return start;
  }
  if (promised === undefined) return start;
  const found = size - headerBytes - jsonLength;
  if (found !== promised) {
    throw formatError(
      file,
      'size of the weight data',
      `${promised} bytes (what its tensor list holds)`,
      `${found} bytes`,
      'The file is truncated, corrupt or not an sdae model/checkpoint; it was not read further. Save it again.',
    );
  }
  return read(0, size);
}
