// The browser quick start: pick a backend, load MNIST, train a dA, draw its filters. Bundled by
// build.mjs (esbuild), which also copies the wasm files (sdae-copy-wasm's step) and MNIST.
import { formatBackendReport, selectBackend } from '@sdae/backend';
import { loadMnistFromUrls, mnistUrls } from '@sdae/datasets';
import { DenoisingAutoencoder, filterRows } from '@sdae/layers';
import { formatEpochLog, trainAutoencoder } from '@sdae/train';
import { greyToRgba, tileRasterImages, toImageData } from '@sdae/vis';

const log = document.querySelector('#log');
const say = (line) => (log.textContent += `\n${line}`);
// What the page did, for its test: the backend report, each epoch's cost, and `done` or `error`.
const state = (window.example = { costs: [], done: false });

try {
  // The folder build.mjs copied the wasm files into, relative to this page.
  const report = await selectBackend({ wasmPaths: new URL('./wasm/', location.href).href });
  state.backend = report.backend;
  state.report = formatBackendReport(report);
  log.textContent = state.report;
  const epochs = Number(new URLSearchParams(location.search).get('epochs') ?? 1);
  if (epochs > 0) {
    const mnist = await loadMnistFromUrls(mnistUrls('./mnist/', true), { split: 'mini' });
    const da = new DenoisingAutoencoder({ hiddenSize: 100, corruptionLevel: 0.3, seed: 1 });
    await trainAutoencoder(da, mnist.train, {
      epochs,
      batchSize: 20,
      learningRate: 0.1,
      onEpochEnd: (epochLog) => {
        say(formatEpochLog(epochLog));
        state.costs.push(epochLog.cost);
      },
    });
    const filters = tileRasterImages(filterRows(da), { imageShape: [28, 28], tileShape: [10, 10] });
    document
      .querySelector('#filters')
      .getContext('2d')
      .putImageData(toImageData(greyToRgba(filters)), 0, 0);
    da.dispose();
  }
  state.done = true;
} catch (error) {
  say(`failed: ${error.message}`);
  state.error = error.message;
}
