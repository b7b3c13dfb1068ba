// The browser quick start as a user runs it: built by build.mjs, served as static files, opened
// in Debian's Chromium (playwright-core, never a downloaded browser).
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from './build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const screenshots = join(here, '..', '.reports', 'screenshots');
const CONTENT_TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.gz': 'application/gzip' };

/** Serves dist/ on a free port of 127.0.0.1, answering 404 for every path in `hidden`. */
async function serve(hidden) {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(/^\/+/, '') || 'index.html';
    const file = join(dist, path);
    if (hidden.has(path) || !file.startsWith(dist) || !(await stat(file).catch(() => undefined))?.isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function chromiumPath() {
  const configured = process.env.SDAE_CHROMIUM;
  if (configured) return configured;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('The browser example test needs Chromium: apt-get install chromium, or set SDAE_CHROMIUM to its path.');
  }
}

let browser;
const hidden = new Set();
let server;

beforeAll(async () => {
  await buildExample();
  server = await serve(hidden);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--enable-unsafe-swiftshader'] });
  mkdirSync(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve) ?? resolve());
});

/** Opens the page and waits until it says it is done or failed; resolves with its state and errors. */
async function open(query = '') {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/${query}`);
  await page.waitForFunction(() => window.example?.done === true || window.example?.error !== undefined, undefined, { timeout: 240_000 });
  return { page, errors, state: await page.evaluate(() => window.example) };
}

describe('examples/browser', () => {
  it('trains a dA on wasm with the copied wasm files and draws 100 filters', async () => {
    expect(existsSync(join(dist, 'wasm', 'tfjs-backend-wasm-simd.wasm'))).toBe(true);
    const { page, errors, state } = await open();
    expect(state.error).toBeUndefined();
    expect(state.backend).toBe('wasm');
    // One epoch of the 784-100 dA at 30 % masking on mini-MNIST: the tutorial's cost is about
    // 100-200 after one epoch from 543 (784 ln 2) at the start.
    expect(state.costs).toHaveLength(1);
    expect(state.costs[0]).toBeGreaterThan(40);
    expect(state.costs[0]).toBeLessThan(300);
    const pixels = await page.evaluate(() => {
      const canvas = document.querySelector('#filters');
      return Array.from(
        canvas
          .getContext('2d')
          .getImageData(0, 0, canvas.width, canvas.height)
          .data.filter((_, i) => i % 4 === 0),
      );
    });
    expect(pixels).toHaveLength(289 * 289);
    expect(new Set(pixels).size).toBeGreaterThan(100); // grey filters, not a blank canvas
    await page.screenshot({ path: join(screenshots, 'browser-example.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('names the missing .wasm file and the fix, and goes on with cpu', async () => {
    hidden.add('wasm/tfjs-backend-wasm-simd.wasm');
    try {
      const { page, state } = await open('?epochs=0');
      expect(state.backend).toBe('cpu');
      const wasmLine = state.report.split('\n').find((line) => /^\s*no\s+wasm\b/.test(line));
      expect(wasmLine).toMatch(
        /the server does not serve tfjs-backend-wasm-simd\.wasm \(http:\/\/127\.0\.0\.1:\d+\/wasm\/tfjs-backend-wasm-simd\.wasm: HTTP 404\)/,
      );
      expect(wasmLine).toContain('npx sdae-copy-wasm');
      expect(wasmLine).not.toContain('tfjs-backend-wasm.wasm '); // the files it serves are not named
      await page.close();
    } finally {
      hidden.clear();
    }
  });
});
