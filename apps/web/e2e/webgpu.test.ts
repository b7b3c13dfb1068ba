// Every panel on WebGPU and on wasm in Chromium with WebGPU on (its fallback adapter, SwiftShader):
// the same settings and seed give the same minibatches and noise, so the costs must agree step by
// step. Before sdae read tensors without blocking, each panel failed on webgpu at its first step
// ("A valid external Instance reference no longer exists", "createBuffer failed ... mappedAtCreation"):
// tfjs's synchronous read draws through a WebGPU canvas, which Chromium cannot back on this adapter.
// On the dA's webgpu page, a synchronous read is then refused without losing the device.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { WEBGPU_FLAG, fill, openApp, pageState, useHarness, waitForState, type Harness, type SdaeGlobal } from './harness';

const harness = useHarness([WEBGPU_FLAG]);

/** The largest difference between two backends' costs allowed, relative to the cost. */
const TOLERANCE = 1e-3;

interface PanelRun {
  panel: 'da' | 'sda' | 'cnn';
  /** Small settings: a few steps each, over mini-MNIST. */
  settings: Record<string, string | number>;
  /** Every cost the run produced, in order, read from the page once it finished. */
  costs: (sdae: SdaeGlobal) => number[];
  /** Error rates or accuracies it measured on 1,000 images. */
  rates: (sdae: SdaeGlobal) => number[];
  /** More checks on the trained webgpu page. */
  afterWebgpu?: (page: Page) => Promise<void>;
}

/**
 * Checks that a synchronous read of the trained dA's weights, on the GPU only (tfjs would read them
 * through a WebGPU canvas), is refused with SynchronousReadError naming the fix, and that the device
 * still reads them with `await`.
 */
async function refusesSynchronousReads(page: Page): Promise<void> {
  const refusal = await pageState(page, (sdae) => {
    try {
      sdae.da.model!.getWeights();
      return 'no error';
    } catch (error) {
      // The bundle shortens class names: the marker names the class.
      const marked = (error as Record<symbol, unknown>)[Symbol.for('sdae.error.SynchronousReadError')] === true;
      return `${marked ? 'SynchronousReadError' : (error as Error).name}: ${(error as Error).message}`;
    }
  });
  expect(refusal).toMatch(
    /^SynchronousReadError: dataSync\/arraySync: the webgpu backend cannot read a tensor synchronously on this adapter \(google swiftshader, software: SwiftShader\).*await tensor\.data\(\)/,
  );
  const weights = await page.evaluate('window.sdae.da.model.readWeights().then((weights) => weights.get("W").values.length)');
  expect(weights).toBe(784 * 20);
}

const RUNS: PanelRun[] = [
  {
    // 5,000 images in minibatches of 500: 10 steps.
    panel: 'da',
    settings: { 'da-hidden': 20, 'da-batch-size': 500, 'da-epochs': 1, 'da-seed': 3 },
    costs: (sdae) => sdae.da.costs,
    rates: () => [],
    afterWebgpu: refusesSynchronousReads,
  },
  {
    // 10 pretraining steps per layer, 10 fine-tuning steps, then the validation and test errors.
    panel: 'sda',
    settings: {
      'sda-hidden': '20,10',
      'sda-corruption': '0.1,0.2',
      'sda-pretrain-epochs': 1,
      'sda-finetune-epochs': 1,
      'sda-batch-size': 500,
      'sda-seed': 3,
    },
    costs: (sdae) => [...sdae.sda.pretrainingCosts.flat(), ...sdae.sda.finetuning.map((log) => log.cost)],
    rates: (sdae) => [...sdae.sda.finetuning.map((log) => log.validationError ?? Number.NaN), sdae.sda.testError ?? Number.NaN],
  },
  {
    // The notebook CNN: 8 sampled minibatches of 20, then the test accuracy.
    panel: 'cnn',
    settings: { 'cnn-iterations': 8, 'cnn-batch-size': 20, 'cnn-seed': 3 },
    costs: (sdae) => sdae.cnn.losses,
    rates: (sdae) => [sdae.cnn.testAccuracy ?? Number.NaN],
  },
];

/** Trains a panel to its end on a backend and returns its costs and rates. */
async function train(app: Harness, backend: string, run: PanelRun): Promise<{ costs: number[]; rates: number[] }> {
  const { page, errors } = await openApp(app, { backend, panel: run.panel });
  expect(await page.locator('#backend-name').textContent()).toBe(backend);
  await fill(page, run.settings);
  await page.click(`#${run.panel}-start`);
  await waitForState(page, run.panel, 'finished', 300_000);
  const status = page.locator(`#${run.panel}-status`);
  expect(await status.getAttribute('role'), (await status.textContent()) ?? '').not.toBe('alert');
  const costs = await pageState(page, run.costs);
  const rates = await pageState(page, run.rates);
  if (backend === 'webgpu') await run.afterWebgpu?.(page);
  expect(errors).toEqual([]);
  await page.context().close();
  return { costs, rates };
}

describe.each(RUNS)('the $panel panel on webgpu', (run) => {
  it('trains on the fallback adapter with the costs of wasm, step by step', async () => {
    const { costs: wasm, rates: wasmRates } = await train(harness, 'wasm', run);
    const { costs: webgpu, rates: webgpuRates } = await train(harness, 'webgpu', run);
    expect(wasm.length).toBeGreaterThanOrEqual(8);
    expect(wasm.every(Number.isFinite)).toBe(true);
    expect(webgpu).toHaveLength(wasm.length);
    const differences = webgpu.map((cost, step) => Math.abs(cost - wasm[step]!) / Math.max(Math.abs(wasm[step]!), 1e-6));
    console.log(
      `${run.panel} on webgpu (SwiftShader fallback adapter) against wasm over ${wasm.length} costs: largest relative difference ${Math.max(...differences).toExponential(2)}`,
    );
    differences.forEach((difference, step) =>
      expect(difference, `cost ${step}: webgpu ${webgpu[step]}, wasm ${wasm[step]}`).toBeLessThan(TOLERANCE),
    );
    // A rate moves by 0.001 per image classified differently; rounding may flip an image or two.
    expect(webgpuRates).toHaveLength(wasmRates.length);
    webgpuRates.forEach((rate, index) => expect(Math.abs(rate - wasmRates[index]!)).toBeLessThanOrEqual(0.002 + 1e-9));
  });
});

describe('the automatic choice with WebGPU on', () => {
  it('ranks the fallback adapter below wasm and says so', async () => {
    const { page, errors } = await openApp(harness, { backend: 'auto', panel: 'da' });
    expect(await page.locator('#backend-name').textContent()).toBe('wasm');
    const report = await page.locator('#backend-report').textContent();
    expect(report).toMatch(/renderer webgpu: .* \(software: (SwiftShader|a fallback \(software\) adapter), ranked below wasm\)/);
    expect(report).toMatch(/wasm: webgpu renders in software on .* so it ranks below wasm, which started/);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
