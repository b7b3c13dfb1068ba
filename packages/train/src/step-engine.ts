import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, UnsupportedKernelError, loadNativeEngine, type NativeStep, type StepDefinition } from '@sdae/backend';
import { oneHot, type Batch } from '@sdae/datasets';
import type { Classifier, DenoisingAutoencoder, LossAndGradients, Model } from '@sdae/layers';
import { DivergenceGuard, applyStep, type StepContext } from './loop-step';
import type { EngineName, EngineReport } from './engine-options';
import type { Optimizer } from './optimizers';

/** One minibatch as the step sees it. */
export interface StepBatch {
  /** The images, as the model wants them. */
  x: Float32Array;
  xShape: number[];
  /** One-hot labels (classifiers). */
  y?: Float32Array;
  yShape?: number[];
}

/** What one step gives back. */
export interface StepOutcome {
  cost: number;
  /** The predicted class of each example, from the step's own forward pass (when asked for). */
  classes?: Int32Array;
  /** Set when the engine changed at this step (a shape the native engine cannot compile). */
  engineChange?: EngineReport;
}

/** A model's training step, in the two forms the engines take. */
interface StepSpec {
  /** The loss and gradients on the tfjs backend (inside `tf.tidy`). */
  tfjs: (batch: StepBatch) => LossAndGradients & { classes?: tf.Tensor1D };
  /** The state the native engine carries: the trained variables and the optimiser's slots. */
  state: () => Map<string, tf.Variable>;
  /** The per-step random inputs drawn on the JS side (the dA's noise), by input name. */
  noise: (batch: StepBatch) => Record<string, { values: Float32Array; shape: number[] }>;
  /** Their shapes, known without drawing. */
  noiseShapes: (batch: StepBatch) => Record<string, number[]>;
  /** The whole step, loss, gradients and update, as the native engine traces it. */
  native: (inputs: Record<string, tf.Tensor>, variables: ReadonlyMap<string, tf.Variable>) => Record<string, tf.Tensor>;
  /** The models whose weights the native engine holds while it trains. */
  models: Model[];
}

/** The step of a dA (alone, or one SdA layer with `transform` mapping images to its input). */
export function autoencoderStepSpec(
  trainee: DenoisingAutoencoder,
  owner: Model,
  optimizer: Optimizer,
  transform?: (x: tf.Tensor2D) => tf.Tensor2D,
): StepSpec {
  const input = (x: tf.Tensor2D) => (transform === undefined ? x : transform(x));
  const trained = trainee.variables;
  const { visibleSize, corruptionLevel } = trainee.getConfig();
  const corrupts = corruptionLevel > 0;
  return {
    tfjs: (batch) => trainee.lossAndGradients(input(tf.tensor2d(batch.x, batch.xShape as [number, number]))),
    state: () => new Map([...trained, ...prefixed('slot:', optimizer.slotsFor(trained))]),
    noise: (batch): Record<string, { values: Float32Array; shape: number[] }> => {
      const values = trainee.drawNoise(batch.xShape[0]!);
      return values === undefined ? {} : { noise: { values, shape: [batch.xShape[0]!, visibleSize] } };
    },
    noiseShapes: (batch): Record<string, number[]> => (corrupts ? { noise: [batch.xShape[0]!, visibleSize] } : {}),
    native: ({ x, noise, ...hyperparameters }) => {
      const clean = input(x as tf.Tensor2D);
      const corrupted = noise === undefined ? clean : trainee.applyNoise(clean, noise as tf.Tensor2D);
      const { loss, gradients } = trainee.lossAndGradients(clean, corrupted);
      optimizer.update(trained, gradients, hyperparameters as Record<string, tf.Scalar>);
      return { loss };
    },
    models: owner === trainee ? [owner] : [owner, trainee],
  };
}

/** The step of a classifier; with `classes`, the step also returns each example's predicted class. */
export function classifierStepSpec(model: Classifier, optimizer: Optimizer, classes: boolean): StepSpec {
  const trained = model.variables;
  const tensors = (batch: StepBatch) => ({
    x: tf.tensor(batch.x, batch.xShape),
    y: tf.tensor2d(batch.y!, batch.yShape as [number, number]),
  });
  return {
    tfjs: (batch) => {
      const { x, y } = tensors(batch);
      return classes ? model.lossGradientsAndClasses(x, y) : model.lossAndGradients(x, y);
    },
    state: () => new Map([...trained, ...prefixed('slot:', optimizer.slotsFor(trained))]),
    noise: () => ({}),
    noiseShapes: () => ({}),
    native: ({ x, y, ...hyperparameters }): Record<string, tf.Tensor> => {
      const step = classes
        ? model.lossGradientsAndClasses(x!, y as tf.Tensor2D)
        : { ...model.lossAndGradients(x!, y as tf.Tensor2D), classes: undefined };
      optimizer.update(trained, step.gradients, hyperparameters as Record<string, tf.Scalar>);
      return step.classes === undefined ? { loss: step.loss } : { loss: step.loss, classes: step.classes };
    },
    models: [model],
  };
}

function prefixed<T>(prefix: string, map: Map<string, T>): [string, T][] {
  return [...map].map(([name, value]) => [`${prefix}${name}`, value]);
}

/** A classifier's minibatch as step inputs: images in the model's layout and one-hot labels. */
export function classifierBatch(batch: Batch, layout: 'flat' | 'image'): StepBatch {
  const count = batch.labels.length;
  return {
    x: batch.images,
    xShape: layout === 'flat' ? [count, batch.height * batch.width] : [count, batch.height, batch.width, 1],
    y: oneHot(batch.labels, batch.numClasses),
    yShape: [count, batch.numClasses],
  };
}

/** Runs a loop's steps on the chosen engine; see {@link createStepRunner}. */
export interface StepRunner {
  readonly report: EngineReport;
  /**
   * One step: the loss (and classes), with the optimiser's update applied. A NaN or infinite loss,
   * or one a million times the run's first, puts back `context.lastGood` and throws {@link DivergenceError}.
   */
  run(batch: StepBatch, context: StepContext): Promise<StepOutcome>;
  /** Writes the weights and optimiser slots the engine holds into their tfjs variables. */
  sync(): void;
  /** Syncs, then releases the engine; the models read their own variables again. */
  finish(): Promise<void>;
}

/**
 * Chooses the engine for a loop and prepares its step. `'auto'` takes the native engine when
 * onnxruntime-node loads, else tfjs; `'native'` throws when it cannot load.
 *
 * @throws {BackendUnavailableError} for `engine: 'native'` where the native engine cannot start.
 */
export async function createStepRunner(
  caller: string,
  engine: EngineName,
  threads: number | undefined,
  spec: StepSpec,
  optimizer: Optimizer,
): Promise<StepRunner> {
  const tfjsReport = (reason: string): EngineReport => ({ engine: 'tfjs', description: `tfjs ${tf.getBackend()}`, reason });
  if (engine === 'tfjs') return new TfjsRunner(spec, optimizer, tfjsReport("engine 'tfjs' was asked for"));
  const status = await loadNativeEngine(threads === undefined ? {} : { threads });
  if (!status.ok) {
    if (engine === 'native') {
      throw new BackendUnavailableError(
        'native',
        status.reason,
        `${caller}: engine 'native' cannot start here: ${status.reason}. Use engine 'auto' or 'tfjs'.`,
      );
    }
    return new TfjsRunner(spec, optimizer, tfjsReport(`the native engine is unavailable: ${status.reason}`));
  }
  const native = status.engine;
  const state = spec.state();
  const definition: StepDefinition = { name: caller, state, step: (inputs) => spec.native(inputs, state) };
  const report: EngineReport = {
    engine: 'native',
    description: native.describe(),
    reason: engine === 'native' ? "engine 'native' was asked for" : 'each step compiled to one ONNX graph (faster than tfjs here)',
  };
  return new NativeRunner(spec, optimizer, native.prepare(definition), report, tfjsReport);
}

class TfjsRunner implements StepRunner {
  constructor(
    private readonly spec: StepSpec,
    private readonly optimizer: Optimizer,
    readonly report: EngineReport,
    private readonly guard = new DivergenceGuard(),
  ) {}

  async run(batch: StepBatch, context: StepContext): Promise<StepOutcome> {
    const { classes, ...step } = tf.tidy(() => this.spec.tfjs(batch));
    let predicted: Int32Array | undefined;
    if (classes !== undefined) {
      predicted = (await classes.data()) as Int32Array;
      classes.dispose();
    }
    const cost = await applyStep({ ...context, optimizer: this.optimizer }, step, this.guard);
    return predicted === undefined ? { cost } : { cost, classes: predicted };
  }

  sync(): void {}

  async finish(): Promise<void> {}
}

class NativeRunner implements StepRunner {
  private fallback: TfjsRunner | undefined;
  private readonly guard = new DivergenceGuard();

  constructor(
    private readonly spec: StepSpec,
    private readonly optimizer: Optimizer,
    private readonly step: NativeStep,
    readonly report: EngineReport,
    private readonly tfjsReport: (reason: string) => EngineReport,
  ) {
    const holder = { sync: () => step.syncToVariables(), reload: () => step.reloadFromVariables() };
    for (const model of spec.models) model.bindExternalWeights(holder);
  }

  async run(batch: StepBatch, context: StepContext): Promise<StepOutcome> {
    if (this.fallback !== undefined) return this.fallback.run(batch, context);
    const feeds: Record<string, { values: Float32Array; shape: readonly number[] }> = { x: { values: batch.x, shape: batch.xShape } };
    if (batch.y !== undefined) feeds.y = { values: batch.y, shape: batch.yShape! };
    try {
      // Compiled (once per shape) before the optimiser counts the step, so a fallback loses nothing.
      await this.step.compileFor({
        ...Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, feed.shape])),
        ...this.spec.noiseShapes(batch),
        ...Object.fromEntries(this.optimizer.hyperparameterNames.map((name) => [name, []])),
      });
    } catch (error) {
      if (!(error instanceof UnsupportedKernelError)) throw error;
      await this.release();
      this.fallback = new TfjsRunner(
        this.spec,
        this.optimizer,
        this.tfjsReport(`the native engine cannot compile this step: ${error.message}`),
        this.guard,
      );
      const outcome = await this.fallback.run(batch, context);
      return { ...outcome, engineChange: this.fallback.report };
    }
    Object.assign(feeds, this.spec.noise(batch));
    for (const [name, value] of Object.entries(this.optimizer.advance())) feeds[name] = { values: Float32Array.of(value), shape: [] };
    const outputs = await this.step.run(feeds);
    const cost = outputs.loss![0]!;
    // The tfjs path's guard; on divergence the weights of the epoch's start go back into both engines.
    this.guard.check({ ...context, optimizer: this.optimizer }, cost);
    return outputs.classes === undefined ? { cost } : { cost, classes: outputs.classes as Int32Array };
  }

  sync(): void {
    if (this.fallback === undefined) this.step.syncToVariables();
  }

  async finish(): Promise<void> {
    if (this.fallback === undefined) await this.release();
  }

  private async release(): Promise<void> {
    this.step.syncToVariables();
    for (const model of this.spec.models) model.bindExternalWeights(undefined);
    await this.step.dispose();
  }
}
