// The exported .onnx files run in onnxruntime-web (its wasm build) in Debian's Chromium, with
// sdae's predictions. The page loads ort.wasm.min.js and its .wasm files from a local server.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelToOnnx } from './onnx-export';
import { ONNX_CASES, largestDifference, randomBatch, randomizeWeights, sdaeOutputs } from './onnx-test-models.test-helper';

const TOLERANCE = 1e-5;
const ORT_WEB_DIST = fileURLToPath(new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url));
const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

/** The Chromium executable: SDAE_CHROMIUM, else Debian's. */
const chromiumPath = (): string => process.env.SDAE_CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();

/** Serves an empty page at /, onnxruntime-web's dist at /ort/ and the models under /models/. */
function serve(models: Map<string, Uint8Array>): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>onnx</title>');
    const model = models.get(path);
    if (model !== undefined) return void response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(model);
    if (path.startsWith('/ort/')) {
      const file = join(ORT_WEB_DIST, normalize(path.slice('/ort/'.length)).replace(/^(\.\.[/\\])+/, ''));
      try {
        const body = readFileSync(file);
        return void response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        // falls through to 404
      }
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
  );
}

interface PreparedCase {
  path: string;
  x: Float32Array;
  batchShape: number[];
  expected: Record<string, Float32Array>;
}

describe('modelToOnnx in onnxruntime-web (wasm, Chromium)', () => {
  const models = new Map<string, Uint8Array>();
  const prepared = new Map<string, PreparedCase>();
  let server: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    for (const [index, { name, build, batchShape }] of ONNX_CASES.entries()) {
      const model = build();
      randomizeWeights(model, 21);
      const x = randomBatch(batchShape, 22);
      const path = `/models/${index}.onnx`;
      models.set(path, await modelToOnnx(model));
      prepared.set(name, { path, x, batchShape, expected: sdaeOutputs(model, x, batchShape) });
      model.dispose();
    }
    const served = await serve(models);
    server = served.server;
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--enable-unsafe-swiftshader'],
      headless: true,
    });
    page = await browser.newPage();
    await page.goto(`${served.url}/`);
    await page.addScriptTag({ url: '/ort/ort.wasm.min.js' });
    await page.evaluate(() => {
      const ort = (globalThis as unknown as { ort: { env: { wasm: { wasmPaths: string; numThreads: number } } } }).ort;
      ort.env.wasm.wasmPaths = '/ort/';
      ort.env.wasm.numThreads = 1;
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it.each(ONNX_CASES.map(({ name }) => name))('runs the exported %s with sdae’s predictions (1e-5)', async (name) => {
    const { path, x, batchShape, expected } = prepared.get(name)!;
    const actual = await page.evaluate(
      async ({ path, x, batchShape }) => {
        type Tensor = { data: Float32Array };
        const ort = (
          globalThis as unknown as {
            ort: {
              Tensor: new (type: string, data: Float32Array, dims: number[]) => Tensor;
              InferenceSession: {
                create(
                  url: string,
                ): Promise<{ run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>; release(): Promise<void> }>;
              };
            };
          }
        ).ort;
        const session = await ort.InferenceSession.create(path);
        const results = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), batchShape) });
        await session.release();
        return Object.fromEntries(Object.entries(results).map(([output, tensor]) => [output, Array.from(tensor.data)]));
      },
      { path, x: Array.from(x), batchShape },
    );
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const output of Object.keys(expected))
      expect(largestDifference(actual[output]!, expected[output]!)).toBeLessThanOrEqual(TOLERANCE);
  });
});
