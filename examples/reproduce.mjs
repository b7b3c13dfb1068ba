// Reproduces the published MNIST experiments with the public API and prints the figures.
//
//   node examples/reproduce.mjs <experiment> [--epochs N] [--corruption C] [--seed S] [--out runs]
//
// experiments: da, dlt, sda, sda-3x1000, lenet, notebook, logistic, mlp, transfer. Each prints its epoch logs
// and ends with one JSON line of results, also written to <out>/<experiment>.json (transfer also draws
// <out>/transfer.svg). sda-3x1000 also takes --pretrain-epochs, --finetune-learning-rate,
// --lr-schedule, --dropout, --weight-decay, --batch-size, --split and --pretrained DIR (see it below).
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '@sdae/backend';
import { loadMnist } from '@sdae/datasets';
import {
  DenoisingAutoencoder,
  LogisticRegression,
  Mlp,
  ReluCnn,
  StackedDenoisingAutoencoder,
  initializeFrom,
  loadModel,
  saveModel,
} from '@sdae/layers';
import { lineChart } from '@sdae/vis';
import {
  DEEPLEARNTOOLBOX_SAE,
  DivergenceError,
  LENET_CNN,
  NOTEBOOK_CNN,
  TUTORIAL_DA,
  TUTORIAL_SDA,
  evaluate,
  fitClassifier,
  parseLearningRateSchedule,
  formatEpochLog,
  pretrainStack,
  trainAutoencoder,
  trainSampled,
} from '@sdae/train';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string' },
    out: { type: 'string', default: 'runs' },
    corruption: { type: 'string' },
    seed: { type: 'string' },
    // sda-3x1000 only: fine-tuning variants, and a directory keeping the pretrained weights.
    'finetune-learning-rate': { type: 'string' },
    'lr-schedule': { type: 'string' },
    dropout: { type: 'string' },
    'weight-decay': { type: 'string' },
    pretrained: { type: 'string' },
    split: { type: 'string' },
    'batch-size': { type: 'string' },
    'pretrain-epochs': { type: 'string' },
  },
});
const experiment = positionals[0];
const print = (log) => console.log(`${formatEpochLog(log)}  (${log.seconds.toFixed(1)} s)`);
const started = performance.now();
const minutes = () => Number(((performance.now() - started) / 60_000).toFixed(2));

/**
 * Pretrains an SdA of `config` greedily, fine-tunes it (early stopping on the Theano split's
 * validation set) and returns its figures. With `pretrainedDirectory`, the pretrained stack is
 * saved there (with its pretraining seconds) the first time and its weights reused afterwards, so
 * that fine-tuning variants start from the same pretrained weights; `config.dropout` applies to
 * fine-tuning only, so it may differ between those runs.
 */
async function sdaRun(config, pretraining, finetuning, pretrainedDirectory, split = 'theano') {
  const { train, validation, test } = await loadMnist({ split });
  const sda = new StackedDenoisingAutoencoder(config);
  const timesFile = pretrainedDirectory && join(pretrainedDirectory, 'pretraining.json');
  let pretrainingSeconds;
  if (timesFile && (await stat(timesFile).catch(() => undefined))) {
    const made = JSON.parse(await readFile(timesFile, 'utf8'));
    // Dropout shapes fine-tuning only: the stack is the same with any rate.
    const stack = { ...config, dropout: 0 };
    const madeStack = { ...made.config, dropout: 0 };
    if (JSON.stringify([madeStack, made.pretraining]) !== JSON.stringify([stack, pretraining])) {
      throw new Error(
        `${timesFile} holds a stack pretrained as ${JSON.stringify([madeStack, made.pretraining])}, not ${JSON.stringify([stack, pretraining])}; ` +
          'give --pretrained another directory or the same model and pretraining flags.',
      );
    }
    const saved = await loadModel(pretrainedDirectory);
    sda.setWeights(saved.getWeights());
    saved.dispose();
    pretrainingSeconds = made.pretrainingSeconds;
    console.log(`pretrained weights from ${pretrainedDirectory} (${(pretrainingSeconds / 60).toFixed(1)} min of pretraining when made)`);
  } else {
    const started = performance.now();
    await pretrainStack(sda, train, { ...pretraining, onEpochEnd: print });
    pretrainingSeconds = (performance.now() - started) / 1000;
    if (pretrainedDirectory) {
      await saveModel(sda, pretrainedDirectory);
      await writeFile(timesFile, `${JSON.stringify({ config, pretraining, pretrainingSeconds })}\n`);
    }
  }
  const result = await fitClassifier(sda, { train, validation, test }, { ...finetuning, onEpochEnd: print });
  const final = await evaluate(sda, test);
  sda.dispose();
  return {
    config,
    pretraining,
    finetuning,
    pretrainingMinutes: Number((pretrainingSeconds / 60).toFixed(2)),
    finetuningMinutes: Number((result.seconds / 60).toFixed(2)),
    stopReason: result.stopReason,
    finetuneEpochs: result.history.length,
    validationErrors: result.history.map((log) => log.validationError),
    bestValidationError: result.bestValidationError,
    testErrorAtBest: result.testErrorAtBest,
    finalTestError: final.errorRate,
  };
}

const experiments = {
  // The dA tutorial: 784-500, lr 0.1, batch 20, at corruption 0 and 0.3.
  async da() {
    const { train } = await loadMnist({ split: 'theano' });
    const epochs = Number(values.epochs ?? 3);
    const results = {};
    for (const corruptionLevel of values.corruption === undefined ? [0, 0.3] : [Number(values.corruption)]) {
      console.log(`dA 784-500, corruption ${corruptionLevel}`);
      const da = new DenoisingAutoencoder({ ...TUTORIAL_DA.model, corruptionLevel });
      const result = await trainAutoencoder(da, train, { ...TUTORIAL_DA.training, epochs, onEpochEnd: print });
      results[`corruption ${corruptionLevel}`] = result.history.map((log) => Number(log.cost.toFixed(3)));
      results[`seconds per epoch ${corruptionLevel}`] = Number((result.seconds / epochs).toFixed(1));
      da.dispose();
    }
    return results;
  },

  // DeepLearnToolbox's SAE, exactly the DEEPLEARNTOOLBOX_SAE preset (`sdae sda --preset dlt`):
  // 784-100-100-10 sigmoid, untied squared-error dAs, sigmoid outputs with squared error, lr 1,
  // momentum 0.5, batch 100 shuffled, 1 epoch of pretraining per layer and 1 of fine-tuning on all
  // 60,000 images; without noise and with the preset's 50 % masking.
  async dlt() {
    const { train, test } = await loadMnist({ split: 'standard' });
    const results = {};
    const seed = Number(values.seed ?? 0);
    for (const masking of values.corruption === undefined ? [0, 0.5] : [Number(values.corruption)]) {
      const sda = new StackedDenoisingAutoencoder({ ...DEEPLEARNTOOLBOX_SAE.model, corruptionLevels: [masking, masking], seed });
      await pretrainStack(sda, train, { ...DEEPLEARNTOOLBOX_SAE.pretraining, onEpochEnd: print });
      await fitClassifier(sda, { train }, { ...DEEPLEARNTOOLBOX_SAE.finetuning, onEpochEnd: print });
      const { errorRate } = await evaluate(sda, test);
      console.log(`masking ${masking}: test error ${(100 * errorRate).toFixed(2)} %`);
      results[`test error % (masking ${masking})`] = Number((100 * errorRate).toFixed(2));
      sda.dispose();
    }
    return results;
  },

  // An SdA with greedy pretraining and early-stopped fine-tuning.
  sda: () =>
    sdaRun(
      { hiddenSizes: [500, 500], corruptionLevels: [0.2, 0.3], seed: 1 },
      { epochs: 2, batchSize: 20, learningRate: 0.1 },
      { epochs: Number(values.epochs ?? 25), batchSize: 20, optimizer: { name: 'momentum', momentum: 0.9 }, learningRate: 0.02 },
    ),

  // The tutorial's SdA shape, 784-1000-1000-1000-10 with corruption 0.1/0.2/0.3, on a faster
  // recipe than its batch-1 SGD: pretraining 10 epochs per layer (SGD lr 0.1, batch 20), then
  // fine-tuning with momentum 0.9 at lr 0.1 on a cosine schedule, dropout 0.2 of the hidden units,
  // batch 20, the tutorial's early stopping, at most 30 epochs. The recipe of `sdae sda --hidden
  // 1000,1000,1000 --corruption-levels 0.1,0.2,0.3 --pretrain-epochs 10 --finetune-epochs 30
  // --finetune-learning-rate 0.1 --lr-schedule cosine --dropout 0.2`. The fine-tuning flags
  // (--finetune-learning-rate, --lr-schedule, --dropout, --weight-decay, --batch-size, --epochs)
  // and --pretrain-epochs, --split and --seed vary it; --pretrained DIR keeps the pretrained stack
  // in DIR the first time and starts every later run with that DIR from it.
  'sda-3x1000': () =>
    sdaRun(
      { ...TUTORIAL_SDA.model, seed: Number(values.seed ?? 0), dropout: Number(values.dropout ?? 0.2) },
      { epochs: Number(values['pretrain-epochs'] ?? 10), batchSize: 20, learningRate: 0.1 },
      {
        epochs: Number(values.epochs ?? 30),
        batchSize: Number(values['batch-size'] ?? 20),
        optimizer: { name: 'momentum', momentum: 0.9 },
        learningRate: Number(values['finetune-learning-rate'] ?? 0.1),
        learningRateSchedule: parseLearningRateSchedule(values['lr-schedule'] ?? 'cosine', '--lr-schedule'),
        weightDecay: Number(values['weight-decay'] ?? 0),
      },
      values.pretrained,
      values.split,
    ),

  // The lenet preset: Adam at 1e-3 for 6 epochs, then 1e-4 for 2 (its step schedule), in one run;
  // --epochs N trains N epochs on the same schedule.
  async lenet() {
    const { train, validation, test } = await loadMnist({ split: 'theano' });
    const cnn = new ReluCnn({ ...LENET_CNN.model, seed: 1 });
    const options = { ...LENET_CNN.training.options, ...(values.epochs === undefined ? {} : { epochs: Number(values.epochs) }) };
    const result = await fitClassifier(cnn, { train, validation, test }, { ...options, onEpochEnd: print });
    const final = await evaluate(cnn, test, { batchSize: 500 });
    cnn.dispose();
    return {
      options,
      validationErrors: result.history.map((log) => log.validationError),
      testAccuracy: final.accuracy,
      minutesTraining: Number((result.seconds / 60).toFixed(2)),
    };
  },

  // The notebook's weight transfer on mini-MNIST: a trained sigmoid dA initialises a sigmoid and a
  // ReLU dA (biases reset), against random initialisation; ReLU from unscaled weights may diverge.
  // Every cost curve (a diverged run's epochs so far) goes on one chart, <out>/transfer.svg.
  async transfer() {
    const { train } = await loadMnist({ split: 'mini' });
    const epochs = Number(values.epochs ?? 5);
    const options = { ...TUTORIAL_DA.training, epochs };
    const source = new DenoisingAutoencoder({ ...TUTORIAL_DA.model, seed: 1 });
    const results = { source: (await trainAutoencoder(source, train, options)).history.map((log) => Number(log.cost.toFixed(2))) };
    const curves = { source: results.source };
    const runs = {
      'sigmoid from sigmoid': { activation: 'sigmoid', scale: 1 },
      'relu from sigmoid x0.1': { activation: 'relu', scale: 0.1 },
      'relu from sigmoid x1': { activation: 'relu', scale: 1 },
      'sigmoid random': { activation: 'sigmoid' },
      'relu random': { activation: 'relu' },
    };
    for (const [name, { activation, scale }] of Object.entries(runs)) {
      const da = new DenoisingAutoencoder({ ...TUTORIAL_DA.model, activation, seed: 2 });
      if (scale !== undefined) initializeFrom(da, source, { scale });
      const costs = [];
      try {
        await trainAutoencoder(da, train, { ...options, onEpochEnd: (log) => costs.push(Number(log.cost.toFixed(2))) });
        results[name] = costs;
      } catch (error) {
        if (!(error instanceof DivergenceError)) throw error;
        results[name] = `diverged at epoch ${error.epoch}, batch ${error.batch}`;
      }
      curves[name] = costs;
      console.log(name, results[name]);
      da.dispose();
    }
    source.dispose();
    const series = Object.entries(curves)
      .filter(([, costs]) => costs.length > 0)
      .map(([name, costs]) => ({ name, points: costs.map((cost, epoch) => [epoch, cost]) }));
    await mkdir(values.out, { recursive: true });
    await writeFile(
      join(values.out, 'transfer.svg'),
      lineChart(series, { title: 'Weight transfer from a sigmoid dA (mini-MNIST)', xLabel: 'epoch', yLabel: 'cost' }),
    );
    return results;
  },

  // The numpy notebook's one-filter ReLU CNN: 3,000 iterations of random batches of 100.
  async notebook() {
    const { train, test } = await loadMnist({ split: 'standard' });
    const cnn = new ReluCnn(NOTEBOOK_CNN.model);
    const options = NOTEBOOK_CNN.training.options;
    const result = await trainSampled(cnn, train, { ...options, onEpochEnd: (log) => log.epoch % 500 === 499 && print(log) });
    const final = await evaluate(cnn, test);
    cnn.dispose();
    return { iterations: options.iterations, testAccuracy: final.accuracy, secondsTraining: Number(result.seconds.toFixed(1)) };
  },

  // The tutorial's logistic regression: lr 0.13, batch 600, early stopping.
  async logistic() {
    const { train, validation, test } = await loadMnist({ split: 'theano' });
    const model = new LogisticRegression();
    const options = { epochs: Number(values.epochs ?? 200), batchSize: 600, learningRate: 0.13 };
    const result = await fitClassifier(
      model,
      { train, validation, test },
      { ...options, onEpochEnd: (log) => log.epoch % 10 === 0 && print(log) },
    );
    model.dispose();
    return {
      options,
      epochs: result.history.length,
      stopReason: result.stopReason,
      bestValidationError: result.bestValidationError,
      testErrorAtBest: result.testErrorAtBest,
    };
  },

  // The tutorial's MLP shape (500 tanh), SGD batch 20, early stopping, fewer epochs.
  async mlp() {
    const { train, validation, test } = await loadMnist({ split: 'theano' });
    const model = new Mlp({ hiddenSizes: [500], activation: 'tanh', seed: 1 });
    const options = { epochs: Number(values.epochs ?? 20), batchSize: 20, learningRate: 0.1 };
    const result = await fitClassifier(model, { train, validation, test }, { ...options, onEpochEnd: print });
    model.dispose();
    return {
      options,
      epochs: result.history.length,
      bestValidationError: result.bestValidationError,
      testErrorAtBest: result.testErrorAtBest,
    };
  },
};

if (!(experiment in experiments)) {
  console.error(`usage: node examples/reproduce.mjs <${Object.keys(experiments).join('|')}> [--epochs N] [--corruption C] [--out DIR]`);
  process.exit(2);
}
const report = await selectBackend();
console.log(`${experiment} on ${report.backend}`);
const results = { experiment, backend: report.backend, ...(await experiments[experiment]()), minutes: minutes() };
await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, `${experiment}.json`), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results));
