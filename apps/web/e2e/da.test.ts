// The dA panel in Chromium on webgl (SwiftShader) and wasm: a few dozen minibatches, the cost
// falls, the filter canvas changes, pause holds training still, and the step time is reported.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SCREENSHOT_DIRECTORY,
  canvasPixels,
  fill,
  mean,
  median,
  openApp,
  pageState,
  useHarness,
  waitForPanel,
  waitForState,
} from './harness';

const harness = useHarness();

describe.each(['webgl', 'wasm'])('dA panel on %s', (backend) => {
  it('trains a dA whose cost falls, redraws its filters, keeps the page rendering and reports the time per minibatch', async () => {
    const { page, errors } = await openApp(harness, { backend, panel: 'da' });
    expect(await page.locator('#backend-name').textContent()).toBe(backend);
    await fill(page, { 'da-hidden': 500, 'da-epochs': 20 });
    await page.click('#da-start');
    await waitForPanel(page, 'da', (sdae) => sdae.da.draws > 0);
    const filtersAtStart = await canvasPixels(page, 'da-filters');
    // The page keeps rendering while it trains (past the first steps, which compile shaders):
    // the longest gap between animation frames over 2 s.
    await waitForPanel(page, 'da', (sdae) => sdae.da.costs.length >= 15);
    const longestFrameGap = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let last = performance.now();
          let longest = 0;
          const end = last + 2000;
          const frame = (now: number): void => {
            longest = Math.max(longest, now - last);
            last = now;
            if (now < end) requestAnimationFrame(frame);
            else resolve(longest);
          };
          requestAnimationFrame(frame);
        }),
    );
    expect(longestFrameGap).toBeLessThan(2000);
    await waitForPanel(page, 'da', (sdae) => sdae.da.costs.length >= 75);
    await page.click('#da-stop');
    await waitForState(page, 'da', 'finished');

    const { costs, steps } = await pageState(page, (sdae) => ({ costs: sdae.da.costs, steps: sdae.da.stepMilliseconds }));
    expect(costs.every(Number.isFinite)).toBe(true);
    expect(mean(costs.slice(-10))).toBeLessThan(0.8 * mean(costs.slice(0, 10)));
    expect(await canvasPixels(page, 'da-filters')).not.toBe(filtersAtStart);
    expect(await page.locator('#da-status').textContent()).toMatch(
      new RegExp(`^Stopped after ${costs.length} minibatches: .* ms per minibatch on ${backend}\\.$`),
    );
    console.log(
      `dA 784-500, batch 20, on ${backend} in headless Chromium: median ${median(steps.slice(5)).toFixed(1)} ms per minibatch over ${steps.length} minibatches; cost ${mean(costs.slice(0, 10)).toFixed(1)} -> ${mean(costs.slice(-10)).toFixed(1)}; longest gap between frames while training ${longestFrameGap.toFixed(0)} ms`,
    );
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, `da-${backend}.png`), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('dA panel controls', () => {
  it('holds training still while paused and continues on resume', async () => {
    const { page, errors } = await openApp(harness, { backend: 'wasm', panel: 'da' });
    await fill(page, { 'da-hidden': 50, 'da-epochs': 100 });
    await page.click('#da-start');
    await waitForPanel(page, 'da', (sdae) => sdae.da.costs.length >= 5);
    await page.click('#da-pause');
    await waitForState(page, 'da', 'paused');
    expect(await page.locator('#da-pause').textContent()).toBe('Resume');
    const pausedAt = await pageState(page, (sdae) => sdae.da.costs.length);
    await page.waitForTimeout(1000);
    expect(await pageState(page, (sdae) => sdae.da.costs.length)).toBe(pausedAt);
    await page.click('#da-pause');
    await expect.poll(() => pageState(page, (sdae) => sdae.da.costs.length), { timeout: 60_000 }).toBeGreaterThan(pausedAt + 5);
    await page.click('#da-stop');
    await waitForState(page, 'da', 'finished');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('names the field when a setting is not a number in range', async () => {
    const { page } = await openApp(harness, { backend: 'cpu', panel: 'da' });
    await fill(page, { 'da-hidden': 0 });
    await page.click('#da-start');
    await expect
      .poll(() => page.locator('#da-status').textContent())
      .toMatch(/^Training failed: Hidden units: expected a number from 1 to 2000, got "0"\.$/);
    await page.context().close();
  });
});
