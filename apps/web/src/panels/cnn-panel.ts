// The CNN panel: a ReLU CNN trained on random minibatches (the numpy notebook's mode) with live
// loss and accuracy, its test accuracy, confusion matrix and convolution filters, and a canvas to
// draw a digit and see the class probabilities.
import * as tf from '@tensorflow/tfjs-core';
import { Classifier, RELU_CNN_PRESETS, ReluCnn, type AnyModel, type ReluCnnPreset } from '@sdae/layers/browser';
import { NOTEBOOK_CNN, OPTIMIZER_NAMES, confusionMatrix, evaluate, sampledTraining, type OptimizerName } from '@sdae/train/browser';
import { confusionMatrixChart, enlarge, tileRasterImages } from '@sdae/vis';
import { startBlocker, type AppContext } from '../app-context';
import { costChart } from '../charts';
import { drawGreyImage, field, h, imageCanvas, numberInput, panelColumns, readNumber, redrawQueue, select, showSvg } from '../dom';
import { DrawPad } from '../draw-pad';
import { RunControls } from '../run-controls';
import { modelButtons } from './model-buttons';

const REDRAW_INTERVAL = 500;

/** What the panel shows, readable as `sdae.cnn` in the console and by the end-to-end tests. */
export interface CnnPanelState {
  model: Classifier | undefined;
  losses: number[];
  /** Training accuracy of each sampled minibatch. */
  accuracies: number[];
  stepMilliseconds: number[];
  testAccuracy: number | undefined;
  /** The class probabilities of the drawn digit, when there is one and a model. */
  probabilities: number[] | undefined;
}

/** Builds the CNN panel. */
export function cnnPanel(app: AppContext): { element: HTMLElement; state: CnnPanelState } {
  const state: CnnPanelState = {
    model: undefined,
    losses: [],
    accuracies: [],
    stepMilliseconds: [],
    testAccuracy: undefined,
    probabilities: undefined,
  };
  const recipe = NOTEBOOK_CNN.training.options;
  const inputs = {
    preset: select('cnn-preset', RELU_CNN_PRESETS, NOTEBOOK_CNN.model.preset, {
      notebook: 'notebook: one 5x5 filter (6,371 parameters)',
      lenet: 'lenet: 20-50-500 (431,080 parameters)',
    }),
    iterations: numberInput('cnn-iterations', recipe.iterations, { min: 1, max: 1_000_000, step: 1 }),
    batchSize: numberInput('cnn-batch-size', recipe.batchSize, { min: 1, max: 1000, step: 1 }),
    optimizer: select('cnn-optimizer', OPTIMIZER_NAMES, recipe.optimizer as OptimizerName),
    learningRate: numberInput('cnn-learning-rate', recipe.learningRate, { min: 0, max: 10 }),
    seed: numberInput('cnn-seed', 0, { step: 1 }),
  };
  const filters = imageCanvas('cnn-filters', 3);
  const chart = h('div', { id: 'cnn-chart', class: 'chart' });
  const confusion = h('div', { id: 'cnn-confusion', class: 'chart' });
  const prediction = h('output', { id: 'cnn-prediction', class: 'prediction' }, '?');
  const bars = h('ol', { id: 'cnn-probabilities', class: 'probabilities', start: '0' });
  let drawn: Float32Array | undefined;

  const classify = redrawQueue(
    async () => {
      const model = state.model;
      if (drawn === undefined || model === undefined) {
        state.probabilities = undefined;
        prediction.textContent = model === undefined ? 'Train or load a model first' : '?';
        bars.replaceChildren();
        return;
      }
      const input = drawn;
      const output = tf.tidy(() =>
        model.predict(model.inputLayout === 'image' ? tf.tensor4d(input, [1, 28, 28, 1]) : tf.tensor2d(input, [1, 784])),
      );
      const probabilities = Array.from(await output.data().finally(() => output.dispose()));
      state.probabilities = probabilities;
      const best = probabilities.indexOf(Math.max(...probabilities));
      prediction.textContent = String(best);
      prediction.dataset.digit = String(best);
      bars.replaceChildren(
        ...probabilities.map((probability, digit) =>
          h(
            'li',
            { 'data-digit': String(digit), 'data-probability': probability.toFixed(6), class: digit === best ? 'best' : '' },
            h('span', { class: 'digit' }, String(digit)),
            h('span', { class: 'bar', style: `width: ${(100 * probability).toFixed(1)}%` }),
            h('span', { class: 'value' }, `${(100 * probability).toFixed(1)} %`),
          ),
        ),
      );
    },
    (error) => controls.say(`Classifying failed: ${error.message}`, 'error'),
  );
  const pad = new DrawPad('cnn-draw', (input) => {
    drawn = input;
    void classify();
  });

  const drawFilters = redrawQueue(
    async () => {
      if (!(state.model instanceof ReluCnn)) return;
      const kernels = state.model.convolutionFilters(0);
      const [count, height, width, channels] = kernels.shape;
      // One tile per filter of the first input channel, 8 pixels per weight.
      const firstChannel = tf.tidy(() => tf.transpose(tf.slice(kernels, [0, 0, 0, 0], [count, height, width, 1]), [0, 3, 1, 2]));
      kernels.dispose();
      const values = await firstChannel.data().finally(() => firstChannel.dispose());
      const columns = Math.min(count, 10);
      const grid = tileRasterImages(values, {
        imageShape: [height, width],
        tileShape: [Math.ceil(count / columns), columns],
        tileSpacing: [1, 1],
      });
      drawGreyImage(filters, enlarge(grid, 8));
      filters.title = `${count} filter${count === 1 ? '' : 's'} of ${height}x${width}${channels > 1 ? ` (channel 0 of ${channels})` : ''}`;
    },
    (error) => controls.say(`Drawing failed: ${error.message}`, 'error'),
  );
  const drawChart = (): void =>
    showSvg(
      chart,
      costChart(
        [
          { name: 'loss', values: state.losses },
          { name: 'accuracy', values: state.accuracies, axis: 'right' },
        ],
        'Training minibatches',
        'loss (cross-entropy)',
        'minibatch accuracy',
      ),
    );

  const controls: RunControls = new RunControls({
    id: 'cnn',
    canStart: () => startBlocker(app),
    onBusyChange: app.setBusy,
    run: async (session) => {
      const mnist = app.mnist!;
      const iterations = readNumber(inputs.iterations, 'Iterations');
      const batchSize = readNumber(inputs.batchSize, 'Batch size');
      const learningRate = readNumber(inputs.learningRate, 'Learning rate');
      const seed = readNumber(inputs.seed, 'Seed');
      const model = new ReluCnn({ preset: inputs.preset.value as ReluCnnPreset, seed });
      state.model?.dispose();
      Object.assign(state, { model, losses: [], accuracies: [], stepMilliseconds: session.stepMilliseconds, testAccuracy: undefined });
      confusion.replaceChildren();
      await Promise.all([drawFilters(), classify()]);
      const name = `${inputs.preset.value} CNN (${model.parameterCount().toLocaleString('en')} parameters)`;
      let lastDraw = performance.now();
      const training = sampledTraining(model, mnist.train, {
        iterations,
        batchSize,
        learningRate,
        optimizer: inputs.optimizer.value as OptimizerName,
        seed,
        signal: session.signal,
      });
      const result = await session.drive(training, (event) => {
        if (event.type === 'batch-end') state.losses.push(event.loss);
        else if (event.type === 'epoch-end') {
          state.accuracies.push(event.log.accuracy ?? Number.NaN);
          controls.say(
            `${name}: iteration ${event.log.epoch + 1} of ${iterations}, loss ${event.log.cost.toFixed(3)}, minibatch accuracy ${(100 * (event.log.accuracy ?? 0)).toFixed(0)} % · ${session.medianStepMilliseconds().toFixed(1)} ms per step`,
          );
        }
        if (performance.now() - lastDraw > REDRAW_INTERVAL) {
          drawChart();
          void drawFilters();
          void classify();
          lastDraw = performance.now();
        }
      });
      drawChart();
      await Promise.all([drawFilters(), classify()]);
      controls.say(
        `${name}: ${result.stopReason === 'aborted' ? 'stopped' : 'finished'} after ${state.losses.length} iterations; measuring test accuracy…`,
      );
      const evaluation = await evaluate(model, mnist.test);
      state.testAccuracy = evaluation.accuracy;
      showSvg(
        confusion,
        confusionMatrixChart(confusionMatrix(evaluation.predictions, mnist.test.labels, 10), { title: 'Test set confusion matrix' }),
      );
      controls.say(
        `${name}: test accuracy ${(100 * evaluation.accuracy).toFixed(2)} % on ${mnist.test.count} images after ${state.losses.length} iterations; ` +
          `${session.medianStepMilliseconds().toFixed(1)} ms per step on ${app.backend?.backend}.`,
      );
    },
  });

  const buttons = modelButtons({
    id: 'cnn',
    fileName: 'cnn',
    controls,
    current: () => state.model,
    accept: async (model: AnyModel) => {
      if (!(model instanceof Classifier) || model.numClasses !== 10)
        return `this is a ${model.constructor.name}; the CNN panel takes a classifier of the 10 digits.`;
      try {
        tf.tidy(() => model.predict(model.inputLayout === 'image' ? tf.zeros([1, 28, 28, 1]) : tf.zeros([1, 784])));
      } catch (error) {
        return `this classifier does not take 28 x 28 images (${(error as Error).message}).`;
      }
      state.model?.dispose();
      Object.assign(state, { model, losses: [], accuracies: [], testAccuracy: undefined });
      if (model instanceof ReluCnn) inputs.preset.value = model.getConfig().preset ?? inputs.preset.value;
      await Promise.all([drawFilters(), classify()]);
      return undefined;
    },
  });

  const element = h(
    'section',
    { id: 'cnn-panel', class: 'card panel' },
    h('h2', {}, 'ReLU convolutional network'),
    h(
      'p',
      { class: 'hint' },
      'Each iteration trains on a random minibatch, as the numpy notebook did (it took 5 hours for 3,000 iterations). Draw a digit below to classify it.',
    ),
    panelColumns({
      fields: [
        field('Network', inputs.preset),
        field('Iterations', inputs.iterations),
        field('Batch size', inputs.batchSize),
        field('Optimiser', inputs.optimizer),
        field('Learning rate', inputs.learningRate),
        field('Seed', inputs.seed),
      ],
      controls: [controls.element, buttons],
      figures: [
        h('figure', {}, chart),
        h('figure', {}, filters, h('figcaption', {}, 'First-layer convolution filters')),
        h('figure', {}, confusion),
      ],
      more: [
        h('h3', {}, 'Draw a digit'),
        h('div', { class: 'figures' }, pad.element, h('div', { class: 'classification' }, h('div', {}, 'Prediction: ', prediction), bars)),
      ],
    }),
  );
  return { element, state };
}
