// The HTML reports the training commands write fit windows from 360 to 1400 px wide: Debian's
// Chromium opens real reports (a one-epoch dA, the case of the unrounded tick, and an MLP with a
// right axis and a validation curve), screenshots them into .reports/screenshots/ and checks that
// nothing is wider than the window.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './cli';
import { runCaptured } from './test-cli';

const SCREENSHOTS = join(dirname(dirname(fileURLToPath(import.meta.url))), '.reports', 'screenshots');
const WIDTHS = [360, 600, 1400];
const DATA = ['--split', 'mini', '--limit', '60', '--backend', 'cpu'];
const RUNS: Record<string, string[]> = {
  da: ['da', '--hidden', '10', '--epochs', '1', ...DATA],
  mlp: ['mlp', '--hidden', '12', '--epochs', '3', ...DATA],
};

let root: string;
let browser: Browser;
const reports = new Map<string, string>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-report-layout-'));
  for (const [name, argv] of Object.entries(RUNS)) {
    const out = join(root, name);
    const result = await runCaptured([...argv, '--out', out]);
    expect(result.code, result.err).toBe(EXIT.ok);
    reports.set(name, join(out, 'report.html'));
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const executablePath = process.env.SDAE_CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--enable-unsafe-swiftshader'], headless: true });
});

afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the training reports in Chromium', () => {
  const cases = Object.keys(RUNS).flatMap((name) => WIDTHS.map((width) => [name, width] as const));

  it.each(cases)('lays out the %s report within a %i px window', async (name, width) => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(pathToFileURL(reports.get(name)!).href);
    const layout = await page.evaluate(() => {
      const window = document.documentElement.clientWidth;
      // Elements inside a box that scrolls sideways may be wider: the box, not the page, scrolls.
      const scrolls = (element: Element) => element.closest('.scroll, pre') !== null && !element.matches('.scroll, pre');
      const wider = Array.from(document.body.querySelectorAll('*'))
        .filter((element) => !scrolls(element))
        .map((element) => ({ tag: element.tagName, right: element.getBoundingClientRect().right }))
        .filter(({ right }) => right > window + 0.5);
      return { window, page: document.documentElement.scrollWidth, wider: wider.slice(0, 5) };
    });
    await page.screenshot({ path: join(SCREENSHOTS, `report-${name}-${width}.png`), fullPage: true });
    await page.close();
    expect(layout.wider).toEqual([]);
    expect(layout.page).toBeLessThanOrEqual(layout.window);
  });

  it('names the engine that trained in the summary, and hover values on the chart points', () => {
    const html = readFileSync(reports.get('da')!, 'utf8');
    // The native engine trains where onnxruntime-node loads (the tfjs backend is cpu either way).
    expect(html).toMatch(/<tr><th>engine<\/th><td>(onnxruntime-node [0-9.]+ \(native, \d+ threads?\)|tfjs cpu)<\/td><\/tr>/);
    expect(html).not.toMatch(/<th>backend<\/th>/);
    expect(html).toMatch(/<circle [^>]*><title>corruption 0.3: [0-9.]+ at epoch 0<\/title><\/circle>/);
  });
});
