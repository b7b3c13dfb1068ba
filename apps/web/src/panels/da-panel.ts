// The dA panel: a denoising autoencoder trained as in the Theano tutorial, with its filters,
// reconstructions and cost updated live.
import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_NAMES, DenoisingAutoencoder, readFilterRows, type ActivationName, type AnyModel } from '@sdae/layers/browser';
import { TUTORIAL_DA, autoencoderTraining, formatEpochLog, type EpochLog } from '@sdae/train/browser';
import { reconstructionGrid } from '@sdae/vis';
import { startBlocker, type AppContext } from '../app-context';
import { costChart } from '../charts';
import {
  drawFilterGrid,
  drawGreyImage,
  field,
  h,
  imageCanvas,
  numberInput,
  panelColumns,
  readNumber,
  redrawQueue,
  select,
  showSvg,
} from '../dom';
import { RunControls } from '../run-controls';
import { modelButtons } from './model-buttons';

/** How often the pictures are redrawn while training, in milliseconds. */
const REDRAW_INTERVAL = 500;

/** What the panel shows, readable by the page's console (`sdae.da`) and the end-to-end tests. */
export interface DaPanelState {
  model: DenoisingAutoencoder | undefined;
  /** Every minibatch cost of the current run. */
  costs: number[];
  epochs: EpochLog[];
  /** Milliseconds of each training step of the current run. */
  stepMilliseconds: number[];
  /** How many times the filters were drawn. */
  draws: number;
}

/** Builds the dA panel. */
export function daPanel(app: AppContext): { element: HTMLElement; state: DaPanelState } {
  const state: DaPanelState = { model: undefined, costs: [], epochs: [], stepMilliseconds: [], draws: 0 };
  const { model: presetModel, training: presetTraining } = TUTORIAL_DA;
  const inputs = {
    hidden: numberInput('da-hidden', presetModel.hiddenSize, { min: 1, max: 2000, step: 1 }),
    corruption: h('input', {
      id: 'da-corruption',
      type: 'range',
      min: '0',
      max: '0.9',
      step: '0.05',
      value: String(presetModel.corruptionLevel),
    }),
    learningRate: numberInput('da-learning-rate', presetTraining.learningRate, { min: 0, max: 10 }),
    batchSize: numberInput('da-batch-size', presetTraining.batchSize, { min: 1, max: 1000, step: 1 }),
    epochs: numberInput('da-epochs', presetTraining.epochs, { min: 1, max: 1000, step: 1 }),
    activation: select('da-activation', ACTIVATION_NAMES, 'sigmoid' as ActivationName),
    seed: numberInput('da-seed', 0, { step: 1 }),
  };
  const corruptionValue = h('output', { id: 'da-corruption-value' }, presetModel.corruptionLevel.toFixed(2));
  inputs.corruption.addEventListener('input', () => (corruptionValue.textContent = Number(inputs.corruption.value).toFixed(2)));
  const filters = imageCanvas('da-filters', 2);
  const reconstructions = imageCanvas('da-reconstructions', 3);
  const chart = h('div', { id: 'da-chart', class: 'chart' });
  const log = h('pre', { id: 'da-log', class: 'log' });

  const draw = redrawQueue(
    async () => {
      const model = state.model;
      const mnist = app.mnist;
      if (model === undefined) return;
      const rows = readFilterRows(model);
      const count = mnist === undefined ? 0 : Math.min(10, mnist.test.count);
      const pictures =
        mnist === undefined
          ? []
          : tf.tidy(() => {
              const x = tf.tensor2d(mnist.test.images.subarray(0, count * 784), [count, 784]);
              // The noise of the next training step, its stream put back: training draws the same
              // noise (and so gives the same costs) however often the page redraws.
              const streams = model.getRandomStates();
              const noisy = model.corrupt(x);
              model.setRandomStates(streams);
              return [x, noisy, model.reconstruct(noisy)];
            });
      try {
        const [originals, corrupted, reconstructed] = await Promise.all(pictures.map((tensor) => tensor.data()));
        drawFilterGrid(filters, await rows);
        state.draws++;
        if (reconstructed !== undefined)
          drawGreyImage(
            reconstructions,
            reconstructionGrid({ originals: originals!, corrupted: corrupted!, reconstructions: reconstructed }, { count }),
          );
      } finally {
        tf.dispose(pictures);
      }
      showSvg(chart, costChart([{ name: 'minibatch cost', values: state.costs }], 'Training cost', 'cost (cross-entropy)'));
    },
    (error) => controls.say(`Drawing failed: ${error.message}`, 'error'),
  );

  const controls: RunControls = new RunControls({
    id: 'da',
    canStart: () => startBlocker(app),
    onBusyChange: app.setBusy,
    run: async (session) => {
      const mnist = app.mnist!;
      const hiddenSize = readNumber(inputs.hidden, 'Hidden units');
      const corruptionLevel = readNumber(inputs.corruption, 'Corruption');
      const learningRate = readNumber(inputs.learningRate, 'Learning rate');
      const batchSize = readNumber(inputs.batchSize, 'Batch size');
      const epochs = readNumber(inputs.epochs, 'Epochs');
      const seed = readNumber(inputs.seed, 'Seed');
      const model = new DenoisingAutoencoder({ hiddenSize, corruptionLevel, activation: inputs.activation.value as ActivationName, seed });
      state.model?.dispose();
      Object.assign(state, { model, costs: [], epochs: [], stepMilliseconds: session.stepMilliseconds });
      log.textContent = '';
      await draw();
      controls.say(`Training dA 784-${hiddenSize} on ${mnist.train.count} images (${app.backend?.backend})…`);
      let lastDraw = performance.now();
      const result = await session.drive(
        autoencoderTraining(model, mnist.train, { epochs, learningRate, batchSize, seed, signal: session.signal }),
        (event) => {
          if (event.type === 'batch-end') {
            state.costs.push(event.loss);
            const milliseconds = session.medianStepMilliseconds().toFixed(1);
            controls.say(
              `Epoch ${event.epoch}, minibatch ${event.batch}: cost ${event.loss.toFixed(2)} · ${milliseconds} ms per minibatch on ${app.backend?.backend}`,
            );
          } else if (event.type === 'epoch-end') {
            state.epochs.push(event.log);
            log.textContent += `${formatEpochLog(event.log)} (${event.log.seconds.toFixed(1)} s)\n`;
          }
          if (event.type === 'epoch-end' || performance.now() - lastDraw > REDRAW_INTERVAL) {
            void draw();
            lastDraw = performance.now();
          }
        },
      );
      await draw();
      const ending = result.stopReason === 'aborted' ? 'Stopped' : 'Finished';
      controls.say(
        `${ending} after ${state.costs.length} minibatches: last cost ${state.costs.at(-1)?.toFixed(2) ?? '-'}, ${session.medianStepMilliseconds().toFixed(1)} ms per minibatch on ${app.backend?.backend}.`,
      );
    },
  });

  const buttons = modelButtons({
    id: 'da',
    fileName: 'denoising-autoencoder',
    controls,
    current: () => state.model,
    accept: async (model: AnyModel) => {
      if (!(model instanceof DenoisingAutoencoder))
        return `this is a ${model.constructor.name}; the dA panel takes a DenoisingAutoencoder.`;
      const config = model.getConfig();
      if (config.visibleSize !== 784) return `this dA has ${config.visibleSize} inputs; MNIST needs 784.`;
      state.model?.dispose();
      Object.assign(state, { model, costs: [], epochs: [] });
      inputs.hidden.value = String(config.hiddenSize);
      await draw();
      return undefined;
    },
  });

  const element = h(
    'section',
    { id: 'da-panel', class: 'card panel' },
    h('h2', {}, 'Denoising autoencoder'),
    h(
      'p',
      { class: 'hint' },
      'The Theano tutorial’s dA: tied weights, cross-entropy, masking noise. Start trains a new model with these settings.',
    ),
    panelColumns({
      fields: [
        field('Hidden units', inputs.hidden),
        h('label', { class: 'field' }, h('span', {}, 'Corruption ', corruptionValue), inputs.corruption),
        field('Learning rate', inputs.learningRate),
        field('Batch size', inputs.batchSize),
        field('Epochs', inputs.epochs),
        field('Activation', inputs.activation),
        field('Seed', inputs.seed),
      ],
      controls: [controls.element, buttons, log],
      figures: [
        h('figure', {}, chart),
        h('figure', {}, filters, h('figcaption', {}, 'Filters: the first 100 rows of Wᵀ')),
        h('figure', {}, reconstructions, h('figcaption', {}, 'Originals, corrupted inputs, reconstructions')),
      ],
    }),
  );
  return { element, state };
}
