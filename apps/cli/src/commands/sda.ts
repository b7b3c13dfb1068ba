import { Option, type Command } from 'commander';
import {
  CLASSIFIER_OUTPUTS,
  RECONSTRUCTION_LOSSES,
  StackedDenoisingAutoencoder,
  filterRows,
  saveModel,
  type ClassifierOutput,
  type ReconstructionLoss,
} from '@sdae/layers';
import {
  DEEPLEARNTOOLBOX_SAE,
  evaluate,
  fitClassifier,
  pretrainStack,
  type OptimizerOptions,
  type StackedDenoisingAutoencoderPreset,
  type TrainingResult,
} from '@sdae/train';
import { lineChart } from '@sdae/vis';
import { batchCount, type MnistSplitName } from '@sdae/datasets';
import { classifierResult } from '../run/classifier-result';
import { requireBatchFits, startExperiment } from '../run/experiment';
import { filtersPng, writeReport } from '../run/report-files';
import { trainingControls } from '../run/controls';
import { activationsFigure, productFiltersPng } from '../pictures';
import { fineTuningSeries, trainingSeconds } from '../run/run-report';
import {
  addCommand,
  batchSizeFlag,
  checkpointFlags,
  engineFlags,
  experimentFlags,
  flag,
  hiddenSizesFlag,
  dropoutFlag,
  list,
  optimizerFlags,
  optimizerOptions,
  positiveInteger,
  positiveNumber,
  refuseOptimizerFlags,
  unitInterval,
  type FlagValues,
} from '../flags';
import { keepOldFlagName } from '../flag-aliases';
import { EXIT, type Output } from '../output';
import { requireEnlargeFits } from '../picture-bounds';
import type { ProgressPlan } from '../run/progress';

/** The recipes `--preset` names. */
const SDA_PRESETS = ['dlt'] as const;

/** One of {@link SDA_PRESETS}. */
type SdaPreset = (typeof SDA_PRESETS)[number];

/** The @sdae/train recipe behind each preset. */
const PRESET_RECIPES = { dlt: DEEPLEARNTOOLBOX_SAE } as const satisfies Record<SdaPreset, StackedDenoisingAutoencoderPreset>;

const FLAGS = {
  preset: flag<SdaPreset | undefined>(() =>
    new Option(
      '--preset <name>',
      "dlt: DeepLearnToolbox's SAE 784-100-100-10 (untied squared-error dAs, masking 0.5, sigmoid outputs with squared error, " +
        'lr 1, momentum 0.5 in both stages, batch 100, 1 + 1 shuffled epochs on --split standard); flags given override it',
    ).choices(SDA_PRESETS),
  ),
  hidden: hiddenSizesFlag([500, 500]),
  corruptionLevels: flag<number[]>(() =>
    new Option('--corruption <levels>', 'one masking level per layer, comma-separated (old name: --corruption-levels)')
      .argParser(list(unitInterval))
      .default([0.2, 0.3]),
  ),
  pretrainEpochs: flag<number>(() =>
    new Option('--pretrain-epochs <n>', 'pretraining epochs per layer').argParser(positiveInteger).default(2),
  ),
  pretrainLearningRate: flag<number>(() =>
    new Option('--pretrain-learning-rate <rate>', 'pretraining SGD learning rate').argParser(positiveNumber).default(0.1),
  ),
  finetuneEpochs: flag<number>(() =>
    new Option('--finetune-epochs <n>', 'most fine-tuning epochs (early stopping may end sooner)').argParser(positiveInteger).default(25),
  ),
  finetuneLearningRate: flag<number>(() =>
    new Option('--finetune-learning-rate <rate>', 'fine-tuning learning rate').argParser(positiveNumber).default(0.02),
  ),
  ...optimizerFlags({ optimizer: 'momentum', momentum: 0.9, stage: 'fine-tuning' }),
  dropout: dropoutFlag('fraction of hidden units dropped at each fine-tuning step, in [0, 1) (inverted dropout; none at evaluation)'),
  batchSize: batchSizeFlag({ description: 'minibatch size', default: 20 }),
  enlarge: flag<number>(
    () =>
      new Option('--enlarge <factor>', 'magnify the product filter images W1...Wk this many times (pixels repeated)')
        .argParser(positiveInteger)
        .default(3),
    // Bounded by the picture's pixels, which depend on --hidden: see requireEnlargeFits.
  ),
  untied: flag<boolean>(() => new Option('--untied', "pretrain each dA with its own decoder matrix W' instead of W^T").default(false)),
  loss: flag<ReconstructionLoss>(() =>
    new Option('--loss <name>', "the dAs' reconstruction loss").choices(RECONSTRUCTION_LOSSES).default('cross-entropy'),
  ),
  output: flag<ClassifierOutput>(() =>
    new Option('--output <name>', 'the output units and fine-tuning loss: softmax (log-likelihood) or sigmoids with squared error')
      .choices(CLASSIFIER_OUTPUTS)
      .default('softmax'),
  ),
  ...experimentFlags('runs/sda'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae sda`. */
export type SdaFlags = FlagValues<typeof FLAGS>;

/** An optimiser given as options (the presets' form), or its defaults for a name. */
function recipeOptimizer(optimizer: OptimizerOptions | string | undefined): OptimizerOptions {
  return typeof optimizer === 'object' ? optimizer : {};
}

/** The flag values each preset stands for, read from @sdae/train's recipe. */
function presetFlags(preset: SdaPreset): Partial<SdaFlags> & { split: MnistSplitName } {
  const { model, pretraining, finetuning } = PRESET_RECIPES[preset];
  const pretrainOptimizer = recipeOptimizer(pretraining.optimizer);
  const finetuneOptimizer = recipeOptimizer(finetuning.optimizer);
  return {
    hidden: [...model.hiddenSizes],
    corruptionLevels: [...model.corruptionLevels],
    untied: model.tiedWeights === false,
    loss: model.reconstructionLoss,
    output: model.output,
    pretrainEpochs: pretraining.epochs,
    pretrainLearningRate: pretrainOptimizer.learningRate,
    finetuneEpochs: finetuning.epochs,
    finetuneLearningRate: finetuneOptimizer.learningRate,
    momentum: finetuneOptimizer.momentum,
    batchSize: finetuning.batchSize,
    // All 60,000 training images, as DeepLearnToolbox trains on.
    split: 'standard',
  };
}

/** `flags` with the preset's value for every flag not given on the command line. */
function withPreset(flags: SdaFlags, command: Command): SdaFlags {
  if (flags.preset === undefined) return flags;
  const resolved: Record<string, unknown> = { ...flags };
  for (const [name, value] of Object.entries(presetFlags(flags.preset))) {
    const attribute = FLAGS[name as keyof typeof FLAGS].option().attributeName();
    if (value !== undefined && command.getOptionValueSource(attribute) !== 'cli') resolved[name] = value;
  }
  return resolved as SdaFlags;
}

/**
 * `sdae sda`: greedy pretraining then early-stopped fine-tuning of a stacked denoising
 * autoencoder (or, with `--preset dlt`, DeepLearnToolbox's SAE); writes first-layer filters and
 * the product filters W1...Wk (enlarged --enlarge times) before and after fine-tuning, the hidden
 * activations of 100 test digits, the pretraining costs, the error curves, the confusion matrix,
 * the test error and the training time.
 */
export async function sdaCommand(flags: SdaFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  requireBatchFits(experiment, flags, flags.batchSize);
  const recipe = flags.preset === undefined ? undefined : PRESET_RECIPES[flags.preset];
  const sda = new StackedDenoisingAutoencoder({
    hiddenSizes: flags.hidden,
    corruptionLevels: flags.corruptionLevels,
    tiedWeights: !flags.untied,
    reconstructionLoss: flags.loss,
    output: flags.output,
    ...(recipe === undefined ? {} : { initialization: recipe.model.initialization }),
    dropout: flags.dropout,
    seed: flags.seed,
  });
  try {
    log(
      `SdA 784-${flags.hidden.join('-')}-10${flags.preset === undefined ? '' : ` (preset ${flags.preset})`}, corruption ${flags.corruptionLevels.join('/')}, ` +
        `${flags.untied ? 'untied' : 'tied'} ${flags.loss} dAs, ${flags.output} output, ${mnist.train.count} training images`,
    );
    const layers = flags.hidden.length;
    // Pretraining each layer, then fine-tuning (which early stopping may end sooner: the run's ETA is its longest).
    const plan: ProgressPlan = {
      unit: 'epoch',
      batchesPerEpoch: batchCount(mnist.train.count, flags.batchSize),
      batchSize: flags.batchSize,
      epochsOf: ({ stage }) => (stage === 'pretrain' ? flags.pretrainEpochs : flags.finetuneEpochs),
      epochsAfter: ({ stage, layer = 0, epoch }) =>
        stage === 'pretrain'
          ? (layers - layer - 1) * flags.pretrainEpochs + (flags.pretrainEpochs - epoch - 1) + flags.finetuneEpochs
          : Math.max(0, flags.finetuneEpochs - epoch - 1),
    };
    const controls = await trainingControls(experiment, flags, output, plan);
    // One checkpoint file serves both stages; a fine-tuning checkpoint skips pretraining on resume.
    const resumeStage = controls.resume?.state.loop;
    const common = { ...controls.loopOptions, batchSize: flags.batchSize };
    const momentum = { name: 'momentum', momentum: flags.momentum } as const;
    // A preset's loop settings: DeepLearnToolbox shuffles every epoch and pretrains with momentum too (the tutorial's SdA: in order, plain SGD).
    const pretrainRecipe = recipe === undefined ? {} : { order: recipe.pretraining.order, optimizer: momentum };
    const finetuneRecipe = recipe === undefined ? {} : { order: recipe.finetuning.order, earlyStopping: recipe.finetuning.earlyStopping };
    let pretraining: TrainingResult | undefined;
    let pretrainedFilters: Uint8Array | undefined;
    let pretrainedProduct: Uint8Array | undefined;
    let finetuning: TrainingResult;
    try {
      if (resumeStage !== 'classifier') {
        pretraining = await pretrainStack(sda, mnist.train, {
          ...common,
          epochs: flags.pretrainEpochs,
          learningRate: flags.pretrainLearningRate,
          ...pretrainRecipe,
          resume: controls.resume,
        });
        controls.stopIfInterrupted();
        pretrainedFilters = filtersPng(filterRows(sda));
        pretrainedProduct = productFiltersPng(sda, flags.enlarge);
      }
      finetuning = await fitClassifier(
        sda,
        { train: mnist.train, validation: mnist.validation, test: mnist.test },
        {
          ...common,
          epochs: flags.finetuneEpochs,
          ...optimizerOptions(flags),
          ...finetuneRecipe,
          learningRate: flags.finetuneLearningRate,
          resume: resumeStage === 'classifier' ? controls.resume : undefined,
        },
      );
      controls.stopIfInterrupted();
    } finally {
      controls.release();
    }
    const finetunedFilters = filtersPng(filterRows(sda));
    const productFilters = productFiltersPng(sda, flags.enlarge);
    const activations = activationsFigure(sda, mnist.test);
    const pretrainHistory = pretraining?.history ?? [];
    const result = classifierResult(
      experiment,
      await evaluate(sda, mnist.test, { engine: experiment.engine.engine }),
      mnist.test,
      trainingSeconds([...pretrainHistory, ...finetuning.history]),
    );
    const pretrainChart =
      pretrainHistory.length === 0
        ? undefined
        : lineChart(
            flags.hidden
              .map((_, layer) => ({
                name: `layer ${layer}`,
                points: pretrainHistory.filter((entry) => entry.layer === layer).map((entry) => [entry.epoch, entry.cost] as const),
              }))
              .filter((series) => series.points.length > 0),
            { title: 'Pretraining cost per epoch', xLabel: 'epoch', yLabel: 'reconstruction cost' },
          );
    const errorSeries = fineTuningSeries(finetuning.history);
    const files: Record<string, string | Uint8Array> = {
      'filters-finetuned.png': finetunedFilters,
      'filters-product.png': productFilters,
      'activations.png': activations.png,
      'history.json': `${JSON.stringify([...pretrainHistory, ...finetuning.history], null, 2)}\n`,
      'confusion.svg': result.confusion,
    };
    const figures: { title: string; png?: Uint8Array; svg?: string }[] = [];
    const product = `Product filters W1...W${flags.hidden.length} (x${flags.enlarge})`;
    if (pretrainedFilters !== undefined && pretrainedProduct !== undefined) {
      files['filters-pretrained.png'] = pretrainedFilters;
      files['filters-product-pretrained.png'] = pretrainedProduct;
      figures.push(
        { title: 'First-layer filters after pretraining', png: pretrainedFilters },
        { title: `${product} after pretraining`, png: pretrainedProduct },
      );
    }
    figures.push(
      { title: 'First-layer filters after fine-tuning', png: finetunedFilters },
      { title: `${product} after fine-tuning`, png: productFilters },
      activations,
    );
    if (pretrainChart !== undefined) {
      files['pretraining.svg'] = pretrainChart;
      figures.push({ title: 'Pretraining', svg: pretrainChart });
    }
    if (errorSeries.length > 0) {
      const errorChart = lineChart(errorSeries, {
        title: 'Fine-tuning cost and error',
        xLabel: 'epoch',
        yLabel: 'training cost',
        y2Label: 'error (%)',
      });
      files['errors.svg'] = errorChart;
      figures.push({ title: 'Fine-tuning', svg: errorChart });
    }
    figures.push({ title: 'Confusion matrix', svg: result.confusion });
    await saveModel(sda, `${experiment.directory}/model`);
    await writeReport(
      experiment,
      {
        title: `Stacked denoising autoencoder 784-${flags.hidden.join('-')}-10`,
        summary: {
          ...result.summary,
          'best validation error':
            finetuning.bestValidationError === undefined ? 'no validation set' : `${(100 * finetuning.bestValidationError).toFixed(2)} %`,
          'fine-tuning epochs': finetuning.history.length,
          'stopped because': finetuning.stopReason,
          backend: experiment.backend.backend,
        },
        figures,
        config: { ...sda.getConfig(), ...flags, out: undefined },
      },
      files,
    );
  } finally {
    sda.dispose();
  }
}

/** Adds `sdae sda` to the program; one corruption level per hidden layer is a usage rule. */
export function register(program: Command, output: Output): void {
  const command = addCommand(
    program,
    'sda',
    "pretrain a stacked denoising autoencoder layer by layer, fine-tune it with early stopping (--preset dlt: DeepLearnToolbox's SAE); writes filters and product filters before/after fine-tuning, activations, error curves, confusion matrix, report.html",
    FLAGS,
    async (given, command) => {
      const flags = withPreset(given, command);
      if (flags.corruptionLevels.length !== flags.hidden.length) {
        command.error(
          `error: --corruption needs one level per hidden layer: ${flags.hidden.length} for --hidden ${flags.hidden.join(',')}; ` +
            `received ${flags.corruptionLevels.length} (${flags.corruptionLevels.join(',')}).`,
          { exitCode: EXIT.usage, code: 'sdae.usage' },
        );
      }
      await sdaCommand(flags, output);
    },
    (flags, command) => {
      refuseOptimizerFlags(command, flags.optimizer);
      // The product filters have one tile per unit of the last hidden layer.
      requireEnlargeFits('--enlarge', flags.enlarge, withPreset(flags, command).hidden.at(-1)!);
    },
  );
  keepOldFlagName(command, '--corruption-levels <levels>', '--corruption', output.err);
}
