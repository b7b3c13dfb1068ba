// The SdA panel: greedy layer-wise pretraining, then supervised fine-tuning with the tutorial's
// early stopping; the pretraining costs, the error curves and the first-layer filters before and
// after fine-tuning.
import { StackedDenoisingAutoencoder, readFilterRows, type AnyModel } from '@sdae/layers/browser';
import { classifierTraining, formatEpochLog, pretrainingTraining, type EpochLog } from '@sdae/train/browser';
import { startBlocker, type AppContext } from '../app-context';
import { chartOf, costChart } from '../charts';
import {
  drawFilterGrid,
  field,
  h,
  imageCanvas,
  numberInput,
  panelColumns,
  readNumber,
  readNumberList,
  redrawQueue,
  showSvg,
  textInput,
} from '../dom';
import { RunControls } from '../run-controls';
import { modelButtons } from './model-buttons';

const REDRAW_INTERVAL = 500;

/** What the panel shows, readable as `sdae.sda` in the console and by the end-to-end tests. */
export interface SdaPanelState {
  model: StackedDenoisingAutoencoder | undefined;
  /** The minibatch costs of each layer's pretraining. */
  pretrainingCosts: number[][];
  /** The fine-tuning epochs (validation and test errors). */
  finetuning: EpochLog[];
  stepMilliseconds: number[];
  /** The test error of the best-validation model, when fine-tuning measured it. */
  testError: number | undefined;
}

/** Builds the SdA panel. */
export function sdaPanel(app: AppContext): { element: HTMLElement; state: SdaPanelState } {
  const state: SdaPanelState = { model: undefined, pretrainingCosts: [], finetuning: [], stepMilliseconds: [], testError: undefined };
  const inputs = {
    hidden: textInput('sda-hidden', '500,500'),
    corruption: textInput('sda-corruption', '0.1,0.2'),
    pretrainEpochs: numberInput('sda-pretrain-epochs', 2, { min: 0, max: 1000, step: 1 }),
    pretrainRate: numberInput('sda-pretrain-rate', 0.1, { min: 0, max: 10 }),
    finetuneEpochs: numberInput('sda-finetune-epochs', 10, { min: 0, max: 1000, step: 1 }),
    finetuneRate: numberInput('sda-finetune-rate', 0.1, { min: 0, max: 10 }),
    batchSize: numberInput('sda-batch-size', 20, { min: 1, max: 1000, step: 1 }),
    seed: numberInput('sda-seed', 0, { step: 1 }),
  };
  const before = imageCanvas('sda-filters-before', 2);
  const after = imageCanvas('sda-filters-after', 2);
  const pretrainChart = h('div', { id: 'sda-pretrain-chart', class: 'chart' });
  const errorChart = h('div', { id: 'sda-error-chart', class: 'chart' });
  const log = h('pre', { id: 'sda-log', class: 'log' });

  const filtersOn = (canvas: HTMLCanvasElement): (() => Promise<void>) =>
    redrawQueue(
      async () => {
        const model = state.model;
        if (model !== undefined) drawFilterGrid(canvas, await readFilterRows(model));
      },
      (error) => controls.say(`Drawing failed: ${error.message}`, 'error'),
    );
  const drawFilters = { before: filtersOn(before), after: filtersOn(after) };
  const drawCharts = (): void => {
    showSvg(
      pretrainChart,
      costChart(
        state.pretrainingCosts.map((values, layer) => ({ name: `layer ${layer}`, values })),
        'Pretraining cost',
        'cost (cross-entropy)',
      ),
    );
    const errors = (key: 'validationError' | 'testError') =>
      state.finetuning.filter((entry) => entry[key] !== undefined).map((entry) => [entry.epoch, 100 * entry[key]!] as [number, number]);
    showSvg(
      errorChart,
      chartOf(
        [
          { name: 'training cost', points: state.finetuning.map((entry) => [entry.epoch, entry.cost] as [number, number]) },
          { name: 'validation error', points: errors('validationError'), axis: 'right' },
          { name: 'test error', points: errors('testError'), axis: 'right' },
        ],
        { title: 'Fine-tuning', xLabel: 'epoch', yLabel: 'training cost', y2Label: 'error (%)' },
      ),
    );
  };

  const controls: RunControls = new RunControls({
    id: 'sda',
    canStart: () => startBlocker(app),
    onBusyChange: app.setBusy,
    run: async (session) => {
      const mnist = app.mnist!;
      const hiddenSizes = readNumberList(inputs.hidden, 'Hidden sizes');
      const corruptionLevels = readNumberList(inputs.corruption, 'Corruption levels');
      const batchSize = readNumber(inputs.batchSize, 'Batch size');
      const seed = readNumber(inputs.seed, 'Seed');
      const pretrainEpochs = readNumber(inputs.pretrainEpochs, 'Pretraining epochs');
      const finetuneEpochs = readNumber(inputs.finetuneEpochs, 'Fine-tuning epochs');
      const pretrainRate = readNumber(inputs.pretrainRate, 'Pretraining learning rate');
      const finetuneRate = readNumber(inputs.finetuneRate, 'Fine-tuning learning rate');
      const model = new StackedDenoisingAutoencoder({ hiddenSizes, corruptionLevels, seed });
      state.model?.dispose();
      Object.assign(state, {
        model,
        pretrainingCosts: [],
        finetuning: [],
        stepMilliseconds: session.stepMilliseconds,
        testError: undefined,
      });
      log.textContent = '';
      let lastDraw = performance.now();
      const redraw = (force: boolean): void => {
        if (!force && performance.now() - lastDraw < REDRAW_INTERVAL) return;
        drawCharts();
        lastDraw = performance.now();
      };
      const name = `SdA 784-${hiddenSizes.join('-')}-10`;

      if (pretrainEpochs > 0) {
        const pretraining = pretrainingTraining(model, mnist.train, {
          epochs: pretrainEpochs,
          learningRate: pretrainRate,
          batchSize,
          seed,
          signal: session.signal,
        });
        const result = await session.drive(pretraining, (event) => {
          if (event.type === 'batch-end') {
            (state.pretrainingCosts[event.layer ?? 0] ??= []).push(event.loss);
            controls.say(
              `${name}: pretraining layer ${event.layer}, epoch ${event.epoch}, minibatch ${event.batch}: cost ${event.loss.toFixed(2)}`,
            );
          } else if (event.type === 'epoch-end') log.textContent += `${formatEpochLog(event.log)}\n`;
          redraw(event.type === 'epoch-end');
        });
        if (result.stopReason === 'aborted') {
          await drawFilters.before();
          controls.say(`Stopped during pretraining, after ${state.pretrainingCosts.flat().length} minibatches.`);
          return;
        }
      }
      await drawFilters.before();
      const finetuning = classifierTraining(
        model,
        { train: mnist.train, validation: mnist.validation, test: mnist.test },
        {
          epochs: finetuneEpochs,
          learningRate: finetuneRate,
          batchSize,
          seed,
          signal: session.signal,
          earlyStopping: mnist.validation !== undefined,
        },
      );
      const result = await session.drive(finetuning, (event) => {
        if (event.type === 'batch-end')
          controls.say(`${name}: fine-tuning epoch ${event.epoch}, minibatch ${event.batch}: cost ${event.loss.toFixed(3)}`);
        else if (event.type === 'epoch-end') {
          state.finetuning.push(event.log);
          log.textContent += `${formatEpochLog(event.log)}\n`;
          void drawFilters.after();
        }
        redraw(event.type === 'epoch-end');
      });
      state.testError = result.testErrorAtBest;
      await drawFilters.after();
      drawCharts();
      const error =
        result.testErrorAtBest === undefined
          ? ''
          : `: test error ${(100 * result.testErrorAtBest).toFixed(2)} % at the best validation error`;
      controls.say(
        `${result.stopReason === 'aborted' ? 'Stopped' : 'Finished'} ${name}${error}; ${session.medianStepMilliseconds().toFixed(1)} ms per minibatch on ${app.backend?.backend}.`,
      );
    },
  });

  const buttons = modelButtons({
    id: 'sda',
    fileName: 'stacked-denoising-autoencoder',
    controls,
    current: () => state.model,
    accept: async (model: AnyModel) => {
      if (!(model instanceof StackedDenoisingAutoencoder))
        return `this is a ${model.constructor.name}; the SdA panel takes a StackedDenoisingAutoencoder.`;
      state.model?.dispose();
      Object.assign(state, { model, pretrainingCosts: [], finetuning: [], testError: undefined });
      inputs.hidden.value = model.getConfig().hiddenSizes.join(',');
      await drawFilters.after();
      return undefined;
    },
  });

  const element = h(
    'section',
    { id: 'sda-panel', class: 'card panel' },
    h('h2', {}, 'Stacked denoising autoencoder'),
    h(
      'p',
      { class: 'hint' },
      'Greedy layer-wise pretraining of dAs, then fine-tuning of the whole network with a softmax on top and the tutorial’s early stopping.',
    ),
    panelColumns({
      fields: [
        field('Hidden sizes', inputs.hidden),
        field('Corruption levels', inputs.corruption),
        field('Pretraining epochs per layer', inputs.pretrainEpochs),
        field('Pretraining learning rate', inputs.pretrainRate),
        field('Fine-tuning epochs', inputs.finetuneEpochs),
        field('Fine-tuning learning rate', inputs.finetuneRate),
        field('Batch size', inputs.batchSize),
        field('Seed', inputs.seed),
      ],
      controls: [controls.element, buttons, log],
      figures: [
        h('figure', {}, pretrainChart),
        h('figure', {}, errorChart),
        h('figure', {}, before, h('figcaption', {}, 'First-layer filters before fine-tuning')),
        h('figure', {}, after, h('figcaption', {}, 'First-layer filters after fine-tuning')),
      ],
    }),
  );
  return { element, state };
}
