// Trains a denoising autoencoder on MNIST exactly as the Theano tutorial does (784-500, sigmoid,
// tied weights, cross-entropy, SGD lr 0.1, batch 20), using only the packages' public entry points.
//
//   node examples/train-da.mjs --corruption 0.3 --epochs 3 [--split theano|mini] [--hidden 500] [--save runs/da]
import { parseArgs } from 'node:util';
import { selectBackend, formatBackendReport } from '@sdae/backend';
import { loadMnist } from '@sdae/datasets';
import { DenoisingAutoencoder, saveModel } from '@sdae/layers';
import { TUTORIAL_DA, formatEpochLog, trainAutoencoder } from '@sdae/train';

const { values } = parseArgs({
  options: {
    corruption: { type: 'string', default: String(TUTORIAL_DA.model.corruptionLevel) },
    epochs: { type: 'string', default: String(TUTORIAL_DA.training.epochs) },
    hidden: { type: 'string', default: String(TUTORIAL_DA.model.hiddenSize) },
    'learning-rate': { type: 'string', default: String(TUTORIAL_DA.training.learningRate) },
    'batch-size': { type: 'string', default: String(TUTORIAL_DA.training.batchSize) },
    split: { type: 'string', default: 'theano' },
    seed: { type: 'string', default: '0' },
    save: { type: 'string' },
  },
});

const report = await selectBackend();
console.log(formatBackendReport(report));
const mnist = await loadMnist({ split: values.split });
const da = new DenoisingAutoencoder({
  ...TUTORIAL_DA.model,
  hiddenSize: Number(values.hidden),
  corruptionLevel: Number(values.corruption),
  seed: Number(values.seed),
});
console.log(`dA 784-${values.hidden}, corruption ${values.corruption}, ${mnist.train.count} training images, backend ${report.backend}`);
const result = await trainAutoencoder(da, mnist.train, {
  ...TUTORIAL_DA.training,
  epochs: Number(values.epochs),
  batchSize: Number(values['batch-size']),
  learningRate: Number(values['learning-rate']),
  onEpochEnd: (log) => console.log(`${formatEpochLog(log)}  (${log.seconds.toFixed(1)} s)`),
});
console.log(`Trained ${result.history.length} epochs in ${(result.seconds / 60).toFixed(2)} min.`);
if (values.save !== undefined) {
  await saveModel(da, values.save);
  console.log(`Saved to ${values.save}`);
}
da.dispose();
