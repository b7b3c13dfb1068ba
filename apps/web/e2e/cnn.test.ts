// The CNN panel in Chromium: a tiny ReLU CNN (the notebook's one-filter network) trained on wasm,
// a digit drawn with the mouse and classified, and the model saved to a file and loaded back
// into a fresh page, where it gives the same probabilities and filters.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SCREENSHOT_DIRECTORY,
  canvasPixels,
  drawStroke,
  fill,
  median,
  openApp,
  pageState,
  useHarness,
  waitForPanel,
  waitForState,
} from './harness';

const harness = useHarness();

/** A "1": one vertical stroke down the middle of the pad. */
const ONE: Array<[number, number]> = [
  [145, 40],
  [140, 240],
];

describe('CNN panel', () => {
  it('trains a tiny CNN, classifies a drawn digit, and saves and reloads the model with the same predictions', async () => {
    const { page, errors } = await openApp(harness, { backend: 'wasm', panel: 'cnn' });
    await fill(page, { 'cnn-iterations': 500 });
    await page.click('#cnn-start');
    await waitForPanel(page, 'cnn', (sdae) => sdae.cnn.testAccuracy !== undefined, 300_000);
    await waitForState(page, 'cnn', 'finished');
    const { testAccuracy, losses, accuracies, steps } = await pageState(page, (sdae) => ({
      testAccuracy: sdae.cnn.testAccuracy!,
      losses: sdae.cnn.losses,
      accuracies: sdae.cnn.accuracies,
      steps: sdae.cnn.stepMilliseconds,
    }));
    expect(losses).toHaveLength(500);
    expect(accuracies).toHaveLength(500);
    expect(testAccuracy).toBeGreaterThan(0.8);
    expect(await page.locator('#cnn-status').textContent()).toContain(`test accuracy ${(100 * testAccuracy).toFixed(2)} %`);
    expect(await page.locator('#cnn-confusion svg').count()).toBe(1);
    console.log(
      `notebook CNN, batch 100, on wasm in headless Chromium: median ${median(steps.slice(5)).toFixed(1)} ms per step; test accuracy ${(100 * testAccuracy).toFixed(2)} % after 500 iterations`,
    );

    await drawStroke(page, 'cnn-draw', ONE);
    await expect.poll(() => page.locator('#cnn-prediction').textContent()).toBe('1');
    const probabilities = await pageState(page, (sdae) => sdae.cnn.probabilities!);
    expect(probabilities).toHaveLength(10);
    expect(probabilities.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
    expect(await page.locator('#cnn-probabilities li').count()).toBe(10);
    const filters = await canvasPixels(page, 'cnn-filters');
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, 'cnn-wasm.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#cnn-save')]);
    expect(download.suggestedFilename()).toBe('cnn.sdae');
    const saved = join(mkdtempSync(join(tmpdir(), 'sdae-web-')), 'cnn.sdae');
    await download.saveAs(saved);
    expect(errors).toEqual([]);
    await page.context().close();

    const reopened = await openApp(harness, { backend: 'wasm', panel: 'cnn' });
    await reopened.page.setInputFiles('#cnn-load', saved);
    await expect.poll(() => reopened.page.locator('#cnn-status').textContent()).toBe('Loaded cnn.sdae (6,371 parameters).');
    expect(await canvasPixels(reopened.page, 'cnn-filters')).toBe(filters);
    await drawStroke(reopened.page, 'cnn-draw', ONE);
    await expect.poll(() => reopened.page.locator('#cnn-prediction').textContent()).toBe('1');
    const reloaded = await pageState(reopened.page, (sdae) => sdae.cnn.probabilities!);
    reloaded.forEach((value, digit) => expect(value).toBeCloseTo(probabilities[digit]!, 6));
    expect(reopened.errors).toEqual([]);
    await reopened.page.context().close();
  });

  it('refuses a file that is not a saved model, naming the file', async () => {
    const { page } = await openApp(harness, { backend: 'cpu', panel: 'cnn' });
    await page.setInputFiles('#cnn-load', {
      name: 'notes.sdae',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not a model at all'),
    });
    await expect.poll(() => page.locator('#cnn-status').textContent()).toMatch(/notes\.sdae/);
    expect(await page.locator('#cnn-status').getAttribute('role')).toBe('alert');
    await page.context().close();
  });
});
