import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireKnownKeys, requirePositiveInteger, type KnownKeys } from '@sdae/core';
import { epochBatches, type ImageSet } from '@sdae/datasets';
import { batchToTensors } from '@sdae/datasets/tensors';
import type { ResolvedEngine } from '@sdae/backend';
import type { Classifier } from '@sdae/layers';
import type { SetEvaluation } from './events';
import { requireClassifierSet } from './loops/loop-options';
import type { EngineName } from './engine/engine-options';
import { evaluateNatively, resolveEvaluationEngine, type SetPredictions } from './engine/native-evaluation';

function requireSameLength(caller: string, predicted: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (predicted.length !== labels.length || labels.length === 0) {
    throw new InvalidArgumentError(
      'predicted',
      predicted.length,
      `${caller}: predicted and labels must be non-empty and of the same length; received ${predicted.length} and ${labels.length}.`,
    );
  }
}

/**
 * The fraction of examples whose predicted class differs from the label.
 *
 * @example errorRate([1, 2, 3], [1, 0, 3]); // 1/3
 */
export function errorRate(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  requireSameLength('errorRate', predicted, labels);
  let wrong = 0;
  for (let index = 0; index < labels.length; index++) if (predicted[index] !== labels[index]) wrong++;
  return wrong / labels.length;
}

/** The fraction of examples classified correctly, `1 - errorRate`. */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  return 1 - errorRate(predicted, labels);
}

/**
 * The confusion matrix: `matrix[label][predicted]` counts the examples of class `label`
 * predicted as `predicted`.
 *
 * @example confusionMatrix([0, 1, 1], [0, 0, 1], 2); // [[1, 1], [0, 1]]
 */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  requireSameLength('confusionMatrix', predicted, labels);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let index = 0; index < labels.length; index++) {
    const row = matrix[labels[index]];
    if (row === undefined || !(predicted[index] >= 0 && predicted[index] < numClasses)) {
      throw new InvalidArgumentError(
        'labels',
        labels[index],
        `confusionMatrix: example ${index} has label ${labels[index]} and prediction ${predicted[index]}; both must lie in [0, ${numClasses - 1}].`,
      );
    }
    row[predicted[index]]++;
  }
  return matrix;
}

/** A classifier's performance on a set. */
export interface Evaluation {
  /** The model's loss averaged over the set: the mean negative log-likelihood of a softmax output, the squared error of sigmoid outputs. */
  loss: number;
  errorRate: number;
  accuracy: number;
  /** The predicted class of every example, in the set's order. */
  predictions: Int32Array;
  /** What ran the forward passes: the native engine, or tfjs (asked for, or the native engine could not compile the model). */
  engine: 'native' | 'tfjs';
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Examples per forward pass (on the native engine at most 100: its compile cost grows with the batch). @default 1000 */
  batchSize?: number;
  /**
   * What runs the forward passes: `'native'` (compiled to ONNX graphs for onnxruntime-node, Node
   * only), `'tfjs'` (the active tfjs backend) or `'auto'` (native where it loads), as the loops'
   * `engine` option; or what `resolveEngine` from @sdae/backend chose. A model the native engine
   * cannot compile is evaluated on tfjs. @default 'auto'
   */
  engine?: EngineName | ResolvedEngine;
}

const EVALUATE_OPTION_KEYS: KnownKeys<EvaluateOptions> = { batchSize: true, engine: true };

/**
 * Classifies every example of `set` in batches (the last, smaller one included) and measures the
 * model's mean loss (see `Classifier.loss`), error rate and accuracy, from one forward pass per
 * batch (`Classifier.lossAndClasses`).
 *
 * @throws {InvalidArgumentError} for unknown options, a batch size that is not a whole number >= 1,
 *   an unknown engine, or a set that is not a labelled image set of the model's classes.
 * @example const { errorRate } = await evaluate(model, mnist.test);
 */
export async function evaluate(model: Classifier, set: ImageSet, options: EvaluateOptions = {}): Promise<Evaluation> {
  requireKnownKeys('evaluate', 'options', options, EVALUATE_OPTION_KEYS);
  requireClassifierSet('evaluate', 'set', set, model.numClasses);
  const batchSize = requirePositiveInteger('evaluate', 'batchSize', options.batchSize ?? 1000);
  const engine = await resolveEvaluationEngine(options.engine);
  const native = engine.engine === 'native' ? await evaluateNatively(engine.native, model, set, batchSize) : undefined;
  const { lossSum, predictions } = native ?? (await evaluateOnTfjs(model, set, batchSize));
  const rate = errorRate(predictions, set.labels);
  return { loss: lossSum / set.count, errorRate: rate, accuracy: 1 - rate, predictions, engine: native === undefined ? 'tfjs' : 'native' };
}

async function evaluateOnTfjs(model: Classifier, set: ImageSet, batchSize: number): Promise<SetPredictions> {
  const predictions = new Int32Array(set.count);
  let lossSum = 0;
  for (const batch of epochBatches(set, { batchSize, partialBatch: 'keep' })) {
    const { loss, classes } = tf.tidy(() => {
      const { x, y } = batchToTensors(batch, { layout: model.inputLayout });
      const evaluated = model.lossAndClasses(x, y);
      return { loss: tf.mul(evaluated.loss, batch.size), classes: evaluated.classes };
    });
    lossSum += (await loss.data())[0]!;
    predictions.set(await classes.data(), batch.indices[0]);
    tf.dispose([loss, classes]);
  }
  return { lossSum, predictions };
}

/**
 * The `evaluation` option of the classifier loops: measure the loss and accuracy on whole sets
 * while training, for curves on every split. Results land in the epoch logs' `evaluations`.
 */
export interface EvaluationOptions {
  /** Measure after every this many epochs (iterations, for trainSampled) and after the last. @default 1 */
  every?: number;
  /** The sets to measure, by name, e.g. `{ train, validation, test }`. Required. */
  sets: Record<string, ImageSet>;
}

/** A resolved {@link EvaluationOptions}. */
export interface ResolvedEvaluation {
  every: number;
  sets: [string, ImageSet][];
}

const EVALUATION_KEYS: KnownKeys<EvaluationOptions> = { every: true, sets: true };

/**
 * Checks a loop's `evaluation` option: known keys, `every` a whole number >= 1, each set a
 * labelled image set of the model's classes.
 *
 * @throws {InvalidArgumentError} naming `evaluation.every` or `evaluation.sets.<name>`.
 */
export function resolveEvaluation(
  caller: string,
  evaluation: EvaluationOptions | undefined,
  numClasses: number,
): ResolvedEvaluation | undefined {
  if (evaluation === undefined) return undefined;
  requireKnownKeys(caller, 'evaluation', evaluation, EVALUATION_KEYS);
  const every = requirePositiveInteger(caller, 'evaluation.every', evaluation.every ?? 1);
  if (typeof evaluation.sets !== 'object' || evaluation.sets === null || Object.keys(evaluation.sets).length === 0) {
    throw new InvalidArgumentError(
      'evaluation.sets',
      evaluation.sets,
      `${caller}: evaluation.sets must name at least one image set, e.g. { train, test }; received ${JSON.stringify(evaluation.sets) ?? String(evaluation.sets)}.`,
    );
  }
  const sets = Object.entries(evaluation.sets);
  for (const [name, set] of sets) requireClassifierSet(caller, `evaluation.sets.${name}`, set, numClasses);
  return { every, sets };
}

/** Whether a loop measures its evaluation sets after epoch (iteration) `index` of `count`. */
export function evaluationDue(evaluation: ResolvedEvaluation | undefined, index: number, count: number): boolean {
  return evaluation !== undefined && ((index + 1) % evaluation.every === 0 || index + 1 === count);
}

/** The loss and accuracy of `model` on each set, by name, on `engine` (see {@link EvaluateOptions.engine}). */
export async function evaluateSets(
  model: Classifier,
  evaluation: ResolvedEvaluation,
  engine?: EngineName | ResolvedEngine,
): Promise<Record<string, SetEvaluation>> {
  const results: Record<string, SetEvaluation> = {};
  for (const [name, set] of evaluation.sets) {
    const { loss, accuracy } = await evaluate(model, set, engine === undefined ? {} : { engine });
    results[name] = { loss, accuracy };
  }
  return results;
}
