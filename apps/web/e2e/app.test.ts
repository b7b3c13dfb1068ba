// The page as a whole in Chromium: the automatic backend choice and its report, MNIST served from
// the build, and a CNN trained on webgl (whose convolution gradients are tfjs's own).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCREENSHOT_DIRECTORY, fill, mean, openApp, pageState, useHarness, waitForPanel, waitForState } from './harness';

const harness = useHarness();

describe('the page', () => {
  it('chooses the fastest backend that starts and says why the faster ones did not', async () => {
    const { page, errors } = await openApp(harness, { backend: 'auto', panel: 'da' });
    const chosen = await page.locator('#backend-name').textContent();
    expect(['webgpu', 'webgl']).toContain(chosen);
    const report = await page.locator('#backend-report').textContent();
    expect(report).toContain(`backend: ${chosen} on browser`);
    if (chosen === 'webgl')
      expect(report).toMatch(/no\s+webgpu\s+(this browser has no WebGPU|WebGPU found no adapter|the WebGPU adapter request failed)/);
    expect(await page.locator('#data-status').textContent()).toMatch(/^mini: 5000 training, 1000 validation, 1000 test images/);
    expect(await page.locator('#data-progress').evaluate((element) => (element as HTMLProgressElement).value)).toBe(1);
    console.log(`automatic choice in headless Chromium: ${report}`);
    await page.locator('#backend-section summary').click();
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, 'backend-auto.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('trains the CNN on webgl with a falling loss', async () => {
    const { page, errors } = await openApp(harness, { backend: 'webgl', panel: 'cnn' });
    await fill(page, { 'cnn-iterations': 100 });
    await page.click('#cnn-start');
    await waitForPanel(page, 'cnn', (sdae) => sdae.cnn.testAccuracy !== undefined, 300_000);
    await waitForState(page, 'cnn', 'finished');
    const { losses, testAccuracy } = await pageState(page, (sdae) => ({ losses: sdae.cnn.losses, testAccuracy: sdae.cnn.testAccuracy! }));
    expect(mean(losses.slice(-10))).toBeLessThan(0.5 * mean(losses.slice(0, 10)));
    expect(testAccuracy).toBeGreaterThan(0.5);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
