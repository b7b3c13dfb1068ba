import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@sdae/core';
import {
  UnsupportedKernelError,
  resolveEngine,
  type NativeStep,
  type ResolvedEngine,
  type ShardedStep,
  type ShardedStepDefinition,
  type StepDefinition,
  type StepFeed,
} from '@sdae/backend';
import type { Classifier, DenoisingAutoencoder, LossAndGradients, Model } from '@sdae/layers';
import { DivergenceGuard, applyStep, type StepContext } from '../loops/loop-step';
import type { EngineReport } from './engine-options';
import { InputBuffers } from './input-buffers';
import type { StepBatch } from './step-batch';
import { defaultStepsPerRun } from './steps-per-run';
import type { ResolvedCommonOptions } from '../loops/loop-options';
import type { Optimizer } from '../optim/optimizers';

/** What one step gives back. */
export interface StepOutcome {
  /** The step's context, as it was submitted (its epoch and batch). */
  context: StepContext;
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
  /** The per-step random inputs drawn on the JS side (the dA's noise), by input name, into `buffers` where it can. */
  noise: (batch: StepBatch, buffers: InputBuffers) => Record<string, { values: Float32Array; shape: number[] }>;
  /** Their shapes, known without drawing. */
  noiseShapes: (batch: StepBatch) => Record<string, number[]>;
  /**
   * The step as the native engine traces it, in two halves: the outputs and gradients of a batch (or
   * of a part of one), and the update from gradients and the step's scalar inputs (the optimiser's
   * settings); `combine` says how parts' gradients add up. The whole step is the one after the other.
   */
  native: Pick<ShardedStepDefinition, 'part' | 'update' | 'combine'>;
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
  /** The clean input and its corrupted copy. */
  const corrupted = (x: tf.Tensor, noise: tf.Tensor | undefined): [tf.Tensor2D, tf.Tensor2D] => {
    const clean = input(x as tf.Tensor2D);
    return [clean, noise === undefined ? clean : trainee.applyNoise(clean, noise as tf.Tensor2D)];
  };
  return {
    tfjs: (batch) => trainee.lossAndGradients(input(tf.tensor2d(batch.x, batch.xShape as [number, number]))),
    state: () => new Map([...trained, ...prefixed('slot:', optimizer.slotsFor(trained))]),
    noise: (batch, buffers): Record<string, { values: Float32Array; shape: number[] }> => {
      const shape = [batch.xShape[0]!, visibleSize];
      return corrupts ? { noise: { values: trainee.drawNoise(shape[0]!, buffers.get('noise', shape[0]! * visibleSize))!, shape } } : {};
    },
    noiseShapes: (batch): Record<string, number[]> => (corrupts ? { noise: [batch.xShape[0]!, visibleSize] } : {}),
    native: {
      part: ({ x, noise }) => {
        const { loss, gradients } = trainee.lossAndGradients(...corrupted(x!, noise));
        return { outputs: { loss }, gradients };
      },
      update: (gradients, hyperparameters) => optimizer.update(trained, gradients, hyperparameters as Record<string, tf.Scalar>),
      // The cost is averaged over the batch.
      combine: 'mean',
    },
    models: owner === trainee ? [owner] : [owner, trainee],
  };
}

/**
 * How a minibatch's gradients combine into one update: `'mean'` is the gradient of the loss
 * averaged over the batch (the tutorials'); `'sum'` is the sum of the examples' gradients (the
 * numpy notebook's), batch-size times larger, so the learning rate acts per example.
 */
export type GradientReduction = 'mean' | 'sum';

/** Every valid {@link GradientReduction}. */
export const GRADIENT_REDUCTIONS: readonly GradientReduction[] = ['mean', 'sum'];

/**
 * The step of a classifier; with `classes`, the step also returns each example's predicted class.
 * With `gradientReduction: 'sum'` the update uses the summed gradients (the logged loss stays the mean).
 */
export function classifierStepSpec(
  model: Classifier,
  optimizer: Optimizer,
  classes: boolean,
  gradientReduction: GradientReduction = 'mean',
): StepSpec {
  const trained = model.variables;
  const tensors = (batch: StepBatch) => ({
    x: tf.tensor(batch.x, batch.xShape),
    y: tf.tensor2d(batch.y!, batch.yShape as [number, number]),
  });
  // Called inside a tidy: the mean-loss gradients times the batch size are the summed gradients.
  const reduce = (gradients: Record<string, tf.Tensor>, batchSize: number): Record<string, tf.Tensor> =>
    gradientReduction === 'mean'
      ? gradients
      : Object.fromEntries(Object.entries(gradients).map(([name, gradient]) => [name, tf.mul(gradient, batchSize)]));
  const part: ShardedStepDefinition['part'] = ({ x, y, ...inputs }) => {
    const masks = model.dropoutShapes(x!.shape[0]!).map((_, site) => inputs[`dropout${site}`]!);
    const step = classes
      ? model.lossGradientsAndClasses(x!, y as tf.Tensor2D, masks)
      : { ...model.lossAndGradients(x!, y as tf.Tensor2D, masks), classes: undefined };
    const gradients = reduce(step.gradients, x!.shape[0]!);
    const outputs: Record<string, tf.Tensor> =
      step.classes === undefined ? { loss: step.loss } : { loss: step.loss, classes: step.classes };
    return { outputs, gradients };
  };
  return {
    tfjs: (batch) => {
      const { x, y } = tensors(batch);
      const step = classes ? model.lossGradientsAndClasses(x, y) : model.lossAndGradients(x, y);
      return { ...step, gradients: reduce(step.gradients, batch.xShape[0]!) };
    },
    state: () => new Map([...trained, ...prefixed('slot:', optimizer.slotsFor(trained))]),
    // The dropout masks are drawn on the JS side from the model's stream, as the dA's noise is.
    noise: (batch) => {
      const count = batch.xShape[0]!;
      const shapes = model.dropoutShapes(count);
      return Object.fromEntries(model.drawDropoutMasks(count).map((values, site) => [`dropout${site}`, { values, shape: shapes[site]! }]));
    },
    noiseShapes: (batch) => Object.fromEntries(model.dropoutShapes(batch.xShape[0]!).map((shape, site) => [`dropout${site}`, shape])),
    native: {
      part,
      update: (gradients, hyperparameters) => optimizer.update(trained, gradients, hyperparameters as Record<string, tf.Scalar>),
      // Summed gradients of the parts are the batch's sum; mean ones average over equal parts.
      combine: gradientReduction,
    },
    models: [model],
  };
}

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((size, axis) => size === b[axis]));

function prefixed<T>(prefix: string, map: Map<string, T>): [string, T][] {
  return [...map].map(([name, value]) => [`${prefix}${name}`, value]);
}

/**
 * Runs a loop's steps on the chosen engine; see {@link createStepRunner}. The native engine runs
 * several submitted steps at once (`stepsPerRun` steps as one graph), so a submitted step
 * completes at that submit or a later one, or at {@link StepRunner.flush}; outcomes come back in
 * submission order, each with its context.
 */
export interface StepRunner {
  readonly report: EngineReport;
  /**
   * The most submitted steps still waiting to run when {@link StepRunner.submit} returns: their
   * batches' arrays are read later, so a loop that reuses batch arrays needs one set more.
   */
  readonly maxWaiting: number;
  /**
   * What the loop's evaluations run on, as `evaluate`'s `engine` option takes it: the engine the
   * steps run on now (`'tfjs'` after a fallback), so a natively trained model is evaluated natively.
   */
  readonly evaluationEngine: ResolvedEngine | 'tfjs';
  /**
   * Submits one step: its loss (and classes), with the optimiser's update applied, and resolves
   * with the steps this call completed (none, this one, or several). A NaN or infinite loss, or one
   * a million times the run's first, puts back `context.lastGood` and throws {@link DivergenceError}.
   */
  submit(batch: StepBatch, context: StepContext): Promise<StepOutcome[]>;
  /** Completes every submitted step; call it before reading the loop's results or the weights. */
  flush(): Promise<StepOutcome[]>;
  /** Writes the weights and optimiser slots the engine holds into their tfjs variables (after a flush). */
  sync(): void;
  /** Syncs, then releases the engine; the models read their own variables again. Unflushed steps are dropped. */
  finish(): Promise<void>;
}

/**
 * Prepares a loop's step on the engine `resolveEngine` chose (passed in the options, or resolved
 * here from `engine`, `device` and `threads`): the native engine on its device, or tfjs. On
 * WebGPU the state stays on the GPU, so one step runs at a time; elsewhere large models run
 * {@link defaultStepsPerRun} steps a run.
 *
 * @throws {BackendUnavailableError} for `engine: 'native'` where the native engine cannot start
 * (a {@link DeviceUnavailableError} for a named device), worded by `resolveEngine`.
 */
export async function createStepRunner(
  caller: string,
  {
    engine,
    device,
    threads,
    stepsPerRun,
    batchParts,
    resolvedEngine,
    stepsPerEpoch,
  }: Pick<ResolvedCommonOptions, 'engine' | 'device' | 'threads' | 'stepsPerRun' | 'batchParts' | 'resolvedEngine'> & {
    /** The full minibatches of an epoch, where the loop has epochs: the default run size divides it where it can. */
    stepsPerEpoch?: number;
  },
  spec: StepSpec,
  optimizer: Optimizer,
): Promise<StepRunner> {
  const tfjsReport = (reason: string): EngineReport => ({ engine: 'tfjs', description: `tfjs ${tf.getBackend()}`, reason });
  const resolved = resolvedEngine ?? (await resolveEngine({ engine, device, ...(threads === undefined ? {} : { threads }) }));
  if (resolved.engine === 'tfjs') return new TfjsRunner(spec, optimizer, tfjsReport(resolved.reason));
  const state = spec.state();
  const definition: StepDefinition = { name: caller, state, step: (inputs) => wholeStep(spec.native, inputs) };
  const stateValues = [...state.values()].reduce((sum, variable) => sum + variable.size, 0);
  const runSize = stepsPerRun ?? (resolved.device === 'webgpu' ? 1 : defaultStepsPerRun(stateValues, stepsPerEpoch));
  const report: EngineReport = {
    engine: 'native',
    description: resolved.description,
    reason:
      resolved.requested.engine === 'native'
        ? "engine 'native' was asked for"
        : 'each step compiled to one ONNX graph (faster than tfjs here)',
    deviceReason: resolved.reason,
    device: resolved.device,
    ...(resolved.adapter === undefined ? {} : { adapter: resolved.adapter }),
    rule: resolved.rule,
    stepsPerRun: runSize,
  };
  if (batchParts !== undefined && batchParts > 1) {
    requireBatchParts(caller, batchParts, resolved, stepsPerRun);
    const sharded = resolved.native.prepareSharded({ name: caller, state, ...spec.native }, batchParts);
    const described = { ...report, description: `${report.description}, each batch in ${batchParts} parts at once`, stepsPerRun: 1 };
    return new NativeRunner(spec, optimizer, resolved, sharded, 1, described, tfjsReport);
  }
  return new NativeRunner(spec, optimizer, resolved, resolved.native.prepare(definition), runSize, report, tfjsReport);
}

/** The whole step: a batch's outputs and gradients, then the update from them and the step's scalar inputs. */
function wholeStep(native: StepSpec['native'], inputs: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const { outputs, gradients } = native.part(inputs);
  native.update(gradients, Object.fromEntries(Object.entries(inputs).filter(([, tensor]) => tensor.rank === 0)));
  return outputs;
}

/** Checks `batchParts` against the engine it runs on: the CPU, one step per call, at most one part per thread. */
function requireBatchParts(caller: string, batchParts: number, resolved: ResolvedEngine, stepsPerRun: number | undefined): void {
  const refuse = (why: string) => {
    throw new InvalidArgumentError('batchParts', batchParts, `${caller}: ${why}`);
  };
  if (resolved.engine !== 'native') return;
  if (resolved.device !== 'cpu')
    refuse(
      `batchParts splits a batch over CPU threads; the native engine runs on ${resolved.device} here. Leave batchParts unset or pass device: 'cpu'.`,
    );
  if (batchParts > resolved.native.threads)
    refuse(
      `batchParts ${batchParts} needs a thread per part, and the native engine has ${resolved.native.threads}. ` +
        `Pass batchParts <= ${resolved.native.threads} or threads >= ${batchParts}.`,
    );
  if (stepsPerRun !== undefined && stepsPerRun > 1)
    refuse(`batchParts runs one step per call and stepsPerRun is ${stepsPerRun}. Pass one of the two.`);
}

class TfjsRunner implements StepRunner {
  readonly maxWaiting = 0;
  readonly evaluationEngine = 'tfjs';

  constructor(
    private readonly spec: StepSpec,
    private readonly optimizer: Optimizer,
    readonly report: EngineReport,
    private readonly guard = new DivergenceGuard(),
  ) {}

  async submit(batch: StepBatch, context: StepContext): Promise<StepOutcome[]> {
    const { classes, ...step } = tf.tidy(() => this.spec.tfjs(batch));
    let predicted: Int32Array | undefined;
    if (classes !== undefined) {
      predicted = (await classes.data()) as Int32Array;
      classes.dispose();
    }
    const cost = await applyStep({ ...context, optimizer: this.optimizer }, step, this.guard);
    return [predicted === undefined ? { context, cost } : { context, cost, classes: predicted }];
  }

  async flush(): Promise<StepOutcome[]> {
    return [];
  }

  sync(): void {}

  async finish(): Promise<void> {}
}

/** A step submitted to the native engine and not run yet. */
interface PendingStep {
  feeds: Record<string, StepFeed>;
  context: StepContext;
  /** The shapes of its batch, as a key: steps run together only with equal shapes. */
  shapes: string;
}

class NativeRunner implements StepRunner {
  private fallback: TfjsRunner | undefined;
  private pending: PendingStep[] = [];
  /** The shape keys compiled so far: a step of a known shape skips the compile check. */
  private readonly compiledShapes = new Set<string>();
  private readonly guard = new DivergenceGuard();
  /** The last step's batch shapes, its input shapes and their key (see {@link NativeRunner.inputShapes}). */
  private lastShapes: (Pick<StepBatch, 'xShape' | 'yShape'> & { shapes: Record<string, readonly number[]>; key: string }) | undefined;
  readonly maxWaiting: number;
  /** The noise arrays of the steps not run yet and of the one being submitted. */
  private readonly inputBuffers: InputBuffers;

  constructor(
    private readonly spec: StepSpec,
    private readonly optimizer: Optimizer,
    private readonly engine: ResolvedEngine,
    private readonly step: NativeStep | ShardedStep,
    /** Steps run as one graph. */
    private readonly stepsPerRun: number,
    readonly report: EngineReport,
    private readonly tfjsReport: (reason: string) => EngineReport,
  ) {
    this.maxWaiting = stepsPerRun - 1;
    this.inputBuffers = new InputBuffers(stepsPerRun);
    const holder = { sync: () => step.syncToVariables(), reload: () => step.reloadFromVariables() };
    for (const model of spec.models) model.bindExternalWeights(holder);
  }

  get evaluationEngine(): ResolvedEngine | 'tfjs' {
    return this.fallback === undefined ? this.engine : 'tfjs';
  }

  async submit(batch: StepBatch, context: StepContext): Promise<StepOutcome[]> {
    if (this.fallback !== undefined) return this.fallback.submit(batch, context);
    const feeds: Record<string, StepFeed> = { x: { values: batch.x, shape: batch.xShape } };
    if (batch.y !== undefined) feeds.y = { values: batch.y, shape: batch.yShape! };
    const { shapes, key } = this.inputShapes(batch);
    // Steps of another shape (an epoch's last, smaller batch) run apart.
    const completed = this.pending.length > 0 && this.pending[0]!.shapes !== key ? await this.runPending() : [];
    try {
      // Compiled (once per shape) before the optimiser counts the step, so a fallback loses nothing.
      if (!this.compiledShapes.has(key)) await this.step.compileFor(shapes);
      this.compiledShapes.add(key);
    } catch (error) {
      if (!UnsupportedKernelError.isInstance(error)) throw error;
      completed.push(...(await this.flush()));
      await this.release();
      this.fallback = new TfjsRunner(
        this.spec,
        this.optimizer,
        this.tfjsReport(`the native engine cannot compile this step: ${error.message}`),
        this.guard,
      );
      const [outcome] = await this.fallback.submit(batch, context);
      return [...completed, { ...outcome!, engineChange: this.fallback.report }];
    }
    this.inputBuffers.next();
    Object.assign(feeds, this.spec.noise(batch, this.inputBuffers));
    for (const [name, value] of Object.entries(this.optimizer.advance())) feeds[name] = { values: Float32Array.of(value), shape: [] };
    this.pending.push({ feeds, context, shapes: key });
    if (this.pending.length === this.stepsPerRun) completed.push(...(await this.runPending()));
    return completed;
  }

  /**
   * The input shapes of a step on `batch` (images, labels, noise, the optimiser's settings) and
   * their key, made again only when the batch's shapes differ from the last step's.
   */
  private inputShapes(batch: StepBatch): { shapes: Record<string, readonly number[]>; key: string } {
    const last = this.lastShapes;
    if (last !== undefined && sameShape(last.xShape, batch.xShape) && sameShape(last.yShape, batch.yShape)) return last;
    const shapes = {
      x: batch.xShape,
      ...(batch.y === undefined ? {} : { y: batch.yShape! }),
      ...this.spec.noiseShapes(batch),
      ...Object.fromEntries(this.optimizer.hyperparameterNames.map((name) => [name, []])),
    };
    this.lastShapes = { xShape: [...batch.xShape], yShape: batch.yShape && [...batch.yShape], shapes, key: JSON.stringify(shapes) };
    return this.lastShapes;
  }

  /** Runs what is pending, then reads the state back from a GPU (the only read between steps). */
  async flush(): Promise<StepOutcome[]> {
    if (this.fallback !== undefined) return [];
    const completed = await this.runPending();
    await this.step.pull();
    return completed;
  }

  private async runPending(): Promise<StepOutcome[]> {
    const steps = this.pending;
    this.pending = [];
    // A full group runs as one graph; fewer steps (an epoch's end) one by one, with no graph to compile.
    if (steps.length === this.stepsPerRun) return this.runAsOne(steps);
    const completed: StepOutcome[] = [];
    for (const step of steps) completed.push(...(await this.runAsOne([step])));
    return completed;
  }

  sync(): void {
    if (this.fallback === undefined) this.step.syncToVariables();
  }

  async finish(): Promise<void> {
    this.pending = [];
    if (this.fallback === undefined) await this.release();
  }

  /** Runs steps as one graph; a divergent loss puts the epoch's first weights back and throws. */
  private async runAsOne(steps: readonly PendingStep[]): Promise<StepOutcome[]> {
    const results = await this.step.runSteps(steps.map((step) => step.feeds));
    const completed: StepOutcome[] = [];
    for (const [index, outputs] of results.entries()) {
      const { context } = steps[index]!;
      const cost = outputs.loss![0]!;
      // The tfjs path's guard; on divergence the weights of the epoch's start go back into both engines.
      this.guard.check({ ...context, optimizer: this.optimizer }, cost);
      completed.push(outputs.classes === undefined ? { context, cost } : { context, cost, classes: outputs.classes as Int32Array });
    }
    return completed;
  }

  private async release(): Promise<void> {
    try {
      // A model disposed mid-training has no variables to write back into: writing would bring them back, leaked.
      if (!this.spec.models.some((model) => model.isDisposed)) {
        await this.step.pull();
        this.step.syncToVariables();
      }
    } finally {
      for (const model of this.spec.models) model.bindExternalWeights(undefined);
      await this.step.dispose();
    }
  }
}
