// The SdA panel in Chromium on wasm: two small layers pretrained for an epoch each, then one
// fine-tuning epoch; the pretraining costs fall per layer, the errors are measured, and the
// first-layer filters before and after fine-tuning are drawn and differ.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCREENSHOT_DIRECTORY, canvasPixels, fill, mean, openApp, pageState, useHarness, waitForPanel, waitForState } from './harness';

const harness = useHarness();

describe('SdA panel', () => {
  it('pretrains layer by layer, fine-tunes, and shows the filters before and after fine-tuning', async () => {
    const { page, errors } = await openApp(harness, { backend: 'wasm', panel: 'sda' });
    await fill(page, { 'sda-hidden': '100,50', 'sda-corruption': '0.1,0.2', 'sda-pretrain-epochs': 1, 'sda-finetune-epochs': 2 });
    await page.click('#sda-start');
    await waitForPanel(page, 'sda', (sdae) => sdae.sda.finetuning.length === 2, 300_000);
    await waitForState(page, 'sda', 'finished');
    const { pretraining, finetuning, testError } = await pageState(page, (sdae) => ({
      pretraining: sdae.sda.pretrainingCosts,
      finetuning: sdae.sda.finetuning,
      testError: sdae.sda.testError,
    }));
    // mini-MNIST: 5,000 images in minibatches of 20 for each layer's epoch.
    expect(pretraining.map((costs) => costs.length)).toEqual([250, 250]);
    for (const costs of pretraining) expect(mean(costs.slice(-20))).toBeLessThan(mean(costs.slice(0, 20)));
    expect(finetuning.map((log) => log.epoch)).toEqual([0, 1]);
    expect(finetuning[1]!.validationError!).toBeLessThan(0.25);
    expect(testError).toBeGreaterThan(0);
    expect(testError).toBeLessThan(0.25);
    expect(await page.locator('#sda-status').textContent()).toContain(`test error ${(100 * testError!).toFixed(2)} %`);
    expect(await canvasPixels(page, 'sda-filters-after')).not.toBe(await canvasPixels(page, 'sda-filters-before'));
    expect(await page.locator('#sda-pretrain-chart svg').count()).toBe(1);
    expect(await page.locator('#sda-error-chart svg').count()).toBe(1);
    console.log(
      `SdA 784-100-50-10 on wasm in headless Chromium, mini-MNIST: validation error ${(100 * finetuning[1]!.validationError!).toFixed(2)} %, test error ${(100 * testError!).toFixed(2)} %`,
    );
    await page.screenshot({ path: join(SCREENSHOT_DIRECTORY, 'sda-wasm.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
