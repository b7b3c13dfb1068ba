// The page as a whole in Chromium: the automatic backend choice (wasm over SwiftShader's WebGL)
// and its report, MNIST served from the build, and a CNN trained on webgl (whose convolution
// gradients are tfjs's own).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCREENSHOT_DIRECTORY, fill, mean, openApp, pageState, useHarness, waitForPanel, waitForState } from './harness';

const harness = useHarness();

describe('the page', () => {
  it('ranks WebGL on SwiftShader below wasm and says that this rule chose wasm', async () => {
    // The project's Chromium has no GPU: its WebGL renders through SwiftShader (CHROMIUM_FLAGS).
    const { page, errors } = await openApp(harness, { backend: 'auto', panel: 'da' });
    const chosen = await page.locator('#backend-name').textContent();
    expect(chosen).toBe('wasm');
    const report = await page.locator('#backend-report').textContent();
    expect(report).toContain('backend: wasm on browser');
    expect(report).toMatch(
      /wasm: (webgpu renders in software on [^,]+ \(.*\) and )?webgl renders in software on SwiftShader \(.*SwiftShader.*\), slower than wasm, so it ranks below wasm, which started/,
    );
    expect(report).toMatch(/renderer webgl: .*SwiftShader.* \(software: SwiftShader, ranked below wasm\)/);
    expect(report).toMatch(/ok\s+wasm\s+started/);
    expect(await page.locator('#data-status').textContent()).toMatch(/^mini: 5000 training, 1000 validation, 1000 test images/);
    expect(await page.locator('#data-progress').evaluate((element) => (element as HTMLProgressElement).value)).toBe(1);
    console.log(`automatic choice in headless Chromium: ${report}`);
    await page.locator('#backend-section summary').click();
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, 'backend-auto.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('with probe=1 times a step on wasm, webgl and cpu and keeps the fastest', async () => {
    const { page, errors } = await openApp(harness, { backend: 'auto', panel: 'da', probe: true });
    const chosen = await page.locator('#backend-name').textContent();
    const report = (await page.locator('#backend-report').textContent())!;
    const timings = Object.fromEntries(
      [...report.matchAll(/probe (\w+): (\d+\.\d) ms per step/g)].map(([, name, ms]) => [name, Number(ms)]),
    );
    expect(Object.keys(timings)).toEqual(['wasm', 'webgl', 'cpu']);
    const fastest = Object.entries(timings).sort((a, b) => a[1] - b[1])[0]![0];
    expect(chosen).toBe(fastest);
    expect(report).toMatch(
      new RegExp(`^  ${fastest}: the fastest probe step \\(wasm [\\d.]+ ms, webgl [\\d.]+ ms, cpu [\\d.]+ ms\\)`, 'm'),
    );
    console.log(`probed choice in headless Chromium: ${report}`);
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
