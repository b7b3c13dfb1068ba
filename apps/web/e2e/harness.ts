// The end-to-end harness: the built app served by `vite preview`, Debian's Chromium driven by
// playwright-core, and helpers to read the page's state.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import type { AppContext } from '../src/app-context';
import type { CnnPanelState } from '../src/panels/cnn-panel';
import type { DaPanelState } from '../src/panels/da-panel';
import type { SdaPanelState } from '../src/panels/sda-panel';

export const APP_DIRECTORY = dirname(dirname(fileURLToPath(import.meta.url)));
export const SCREENSHOT_DIRECTORY = join(APP_DIRECTORY, '.reports', 'screenshots');

/** The flags the project launches Chromium with (headless, no network services, WebGL through SwiftShader). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-swiftshader',
];

/** The Chromium executable: SDAE_CHROMIUM, else `chromium` on the PATH. */
export function chromiumPath(): string {
  const configured = process.env.SDAE_CHROMIUM;
  if (configured !== undefined && configured !== '') {
    if (!existsSync(configured))
      throw new Error(`SDAE_CHROMIUM is ${configured}, which does not exist. Point it at a Chromium executable or unset it.`);
    return configured;
  }
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'The end-to-end tests need Chromium: install it with `apt-get install chromium` (.ci/run does this), or set SDAE_CHROMIUM to its path.',
    );
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A served app and a browser, shared by the tests of one file. */
export interface Harness {
  browser: Browser;
  server: PreviewServer;
  url: string;
  close: () => Promise<void>;
}

/**
 * The flag that offers WebGPU in the project's Chromium: with no GPU, its fallback adapter
 * (SwiftShader), which renders in software.
 */
export const WEBGPU_FLAG = '--enable-unsafe-webgpu';

/** Serves the built app (run `pnpm build` first; turbo does) and launches Chromium with the flags and any `extraFlags`. */
export async function startHarness(extraFlags: readonly string[] = []): Promise<Harness> {
  if (!existsSync(join(APP_DIRECTORY, 'dist', 'index.html')))
    throw new Error(`The app is not built: run \`vite build\` in ${APP_DIRECTORY} first.`);
  const port = await freePort();
  const server = await preview({
    root: APP_DIRECTORY,
    logLevel: 'warn',
    preview: { port, strictPort: true, host: '127.0.0.1', open: false },
  });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_FLAGS, ...extraFlags], headless: true });
  mkdirSync(SCREENSHOT_DIRECTORY, { recursive: true });
  return {
    browser,
    server,
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Starts the harness before a test file's tests and closes it after them. Call it at the top of
 * the file; the returned object is filled in once the harness has started.
 */
export function useHarness(extraFlags: readonly string[] = []): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    Object.assign(harness, await startHarness(extraFlags));
  });
  afterAll(async () => harness.close?.());
  return harness;
}

/** A page of the app with its errors collected; `errors` must stay empty. */
export interface AppPage {
  page: Page;
  errors: string[];
}

/**
 * Opens the app on a backend and a panel and waits until the backend started and MNIST loaded.
 */
export async function openApp(
  harness: Harness,
  options: { backend: string; panel: 'da' | 'sda' | 'cnn'; split?: string; probe?: boolean; viewport?: { width: number; height: number } },
): Promise<AppPage> {
  const context = await harness.browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
  });
  const probe = options.probe === true ? '&probe=1' : '';
  await page.goto(`${harness.url}?backend=${options.backend}&split=${options.split ?? 'mini'}${probe}#${options.panel}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  return { page, errors };
}

/** Sets form fields by id. */
export async function fill(page: Page, values: Record<string, string | number>): Promise<void> {
  for (const [id, value] of Object.entries(values)) await page.locator(`#${id}`).fill(String(value));
}

/** Waits until a panel's controls report the state (running, paused, finished). */
export async function waitForState(page: Page, panel: string, state: string, timeout = 240_000): Promise<void> {
  await page.waitForSelector(`#${panel}-panel .controls[data-state="${state}"]`, { timeout });
}

/** The pixels of a canvas as a data URL, to compare drawings. */
export function canvasPixels(page: Page, id: string): Promise<string> {
  return page.evaluate((canvasId) => (document.getElementById(canvasId) as HTMLCanvasElement).toDataURL(), id);
}

/** The page's `window.sdae`: the live state of every panel (see src/main.ts). */
export interface SdaeGlobal {
  app: AppContext;
  da: DaPanelState;
  sda: SdaPanelState;
  cnn: CnnPanelState;
}

/** Reads from the page's `window.sdae`; `read` runs in the page, so it may use only its argument. */
export function pageState<T>(page: Page, read: (sdae: SdaeGlobal) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(window.sdae)`) as Promise<T>;
}

/**
 * Polls the page's state until `read` is true; fails at once with the panel's message when the
 * panel reports an error, so a broken run fails fast and says why.
 */
export async function waitForPanel(page: Page, panel: string, read: (sdae: SdaeGlobal) => boolean, timeout = 240_000): Promise<void> {
  const deadline = Date.now() + timeout;
  const status = page.locator(`#${panel}-status`);
  while (!(await pageState(page, read))) {
    if ((await status.getAttribute('role')) === 'alert') throw new Error(`The ${panel} panel reports: ${await status.textContent()}`);
    if (Date.now() > deadline)
      throw new Error(
        `Timed out after ${timeout} ms waiting for ${read.toString()}; the ${panel} panel says: ${await status.textContent()}`,
      );
    await page.waitForTimeout(100);
  }
}

/** The mean of some numbers. */
export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Draws a stroke through the points, in the drawing canvas's own 280 x 280 coordinates. */
export async function drawStroke(page: Page, canvasId: string, points: ReadonlyArray<readonly [number, number]>): Promise<void> {
  const canvas = page.locator(`#${canvasId}`);
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const at = ([x, y]: readonly [number, number]): [number, number] => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  await page.mouse.move(...at(points[0]!));
  await page.mouse.down();
  for (const point of points.slice(1)) await page.mouse.move(...at(point), { steps: 8 });
  await page.mouse.up();
}
