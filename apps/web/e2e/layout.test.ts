// The page's layout in Chromium: each model panel's settings and results side by side on a wide
// screen and stacked on a narrow one, with the charts' smoothed curves and second axis drawn.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SCREENSHOT_DIRECTORY, fill, openApp, useHarness, waitForState } from './harness';

const harness = useHarness();

/** The boxes of the visible panel's two columns, in CSS pixels. */
async function columns(page: Page, panel: string) {
  const box = async (selector: string) => (await page.locator(`#${panel}-panel ${selector}`).boundingBox())!;
  return { settings: await box('.panel-settings'), results: await box('.panel-results') };
}

describe('the layout', () => {
  it('puts a panel’s settings and results side by side at 1400 px and stacks them at 600 px', async () => {
    const { page, errors } = await openApp(harness, { backend: 'wasm', panel: 'da', viewport: { width: 1400, height: 1000 } });
    await fill(page, { 'da-hidden': 100, 'da-epochs': 1 });
    await page.click('#da-start');
    await waitForState(page, 'da', 'finished');
    const wide = await columns(page, 'da');
    // Side by side: the results start right of the settings, at the same height.
    expect(wide.results.x).toBeGreaterThanOrEqual(wide.settings.x + wide.settings.width);
    expect(Math.abs(wide.results.y - wide.settings.y)).toBeLessThan(2);
    // The chart of the finished run fits its column: the minibatch costs faint under their average.
    const chart = (await page.locator('#da-chart svg').boundingBox())!;
    expect(chart.x + chart.width).toBeLessThanOrEqual(wide.results.x + wide.results.width + 1);
    expect(await page.locator('#da-chart svg polyline.raw').count()).toBe(1);
    expect(await page.locator('#da-chart svg polyline.smoothed').count()).toBe(1);
    // The backend and data cards share a row too.
    const [backend, data] = await Promise.all(['#backend-section', '#data-section'].map((id) => page.locator(id).boundingBox()));
    expect(data!.x).toBeGreaterThanOrEqual(backend!.x + backend!.width);
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, 'layout-1400.png'), fullPage: true });

    await page.setViewportSize({ width: 600, height: 1000 });
    const narrow = await columns(page, 'da');
    expect(narrow.results.y).toBeGreaterThanOrEqual(narrow.settings.y + narrow.settings.height);
    expect(Math.abs(narrow.results.x - narrow.settings.x)).toBeLessThan(2);
    // Nothing wider than the screen: the chart scales down into the column.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(600);
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, 'layout-600.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('draws the CNN’s minibatch loss and accuracy on two axes, each smoothed over its faint raw values', async () => {
    const { page, errors } = await openApp(harness, { backend: 'wasm', panel: 'cnn', viewport: { width: 1400, height: 1000 } });
    await fill(page, { 'cnn-iterations': 60 });
    await page.click('#cnn-start');
    await waitForState(page, 'cnn', 'finished');
    const chart = page.locator('#cnn-panel .chart svg').first();
    expect(await chart.locator('polyline.raw').count()).toBe(2);
    expect(await chart.locator('polyline.smoothed').count()).toBe(2);
    // Accuracy ticks on the right axis lie in [0, 1], apart from the loss' on the left.
    const rightTicks = (await chart.locator('text.y2-tick').allTextContents()).map(Number);
    expect(rightTicks.length).toBeGreaterThanOrEqual(2);
    expect(rightTicks.every((tick) => tick >= 0 && tick <= 1)).toBe(true);
    expect(await chart.locator('text.legend').allTextContents()).toEqual(['loss', 'accuracy (right axis)']);
    const { settings, results } = await columns(page, 'cnn');
    expect(results.x).toBeGreaterThanOrEqual(settings.x + settings.width);
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, 'layout-cnn-1400.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
