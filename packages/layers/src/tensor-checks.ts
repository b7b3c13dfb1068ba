import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, describeValue } from '@sdae/core';

/** A tensor shape to accept: a number is that size exactly, `null` any size (the batch). */
export type ShapePattern = readonly (number | null)[];

/** What a model's tensor argument must be. */
export interface TensorExpectation {
  /** The shapes accepted; the first is the one messages suggest. */
  shapes: readonly ShapePattern[];
  /** Also accept any `[n, ...]` whose examples hold this many values (flat models read image batches). */
  exampleSize?: number;
  /** How to fix a refused value, ending the message. */
  fix: string;
}

function isTensor(value: unknown): value is tf.Tensor {
  // Duck-typed rather than instanceof: the app's copy of tfjs-core may not be the one loaded here.
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<tf.Tensor>;
  return Array.isArray(candidate.shape) && typeof candidate.dtype === 'string' && typeof candidate.dataId === 'object';
}

function matches(shape: readonly number[], pattern: ShapePattern): boolean {
  return shape.length === pattern.length && pattern.every((size, axis) => size === null || size === shape[axis]);
}

function showPattern(pattern: ShapePattern): string {
  return `[${pattern.map((size) => size ?? 'n').join(', ')}]`;
}

function describeReceived(value: unknown): string {
  if (!isTensor(value)) return describeValue(value);
  if (value.isDisposed) return `a disposed tensor of shape [${value.shape.join(', ')}]`;
  return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
}

/**
 * Checks a model method's tensor argument (type, not disposed, float32, rank and shape) before any
 * tensor is made, so a wrong input gives one named error and leaks nothing.
 *
 * @param caller the method, `'Mlp.loss'`.
 * @param argument the parameter, `'y'`.
 * @throws {InvalidArgumentError} naming the method, the parameter, the expected shapes and what was received.
 * @example requireTensor('DenoisingAutoencoder.decode', 'y', y, { shapes: [[null, 500]], fix: 'Pass the output of encode.' });
 */
export function requireTensor(caller: string, argument: string, value: unknown, expected: TensorExpectation): tf.Tensor {
  const { shapes, exampleSize, fix } = expected;
  const fits =
    isTensor(value) &&
    !value.isDisposed &&
    value.dtype === 'float32' &&
    (shapes.some((pattern) => matches(value.shape, pattern)) ||
      (exampleSize !== undefined && value.rank >= 2 && value.size === value.shape[0]! * exampleSize));
  if (!fits) {
    const wanted = shapes.map(showPattern).join(' or ');
    const perExample = exampleSize === undefined ? '' : ` (or any batch of ${exampleSize} values per example)`;
    throw new InvalidArgumentError(
      argument,
      isTensor(value) ? value.shape : value,
      `${caller}: ${argument} must be a float32 tensor of shape ${wanted}${perExample}; received ${describeReceived(value)}. ${fix}`,
    );
  }
  return value as tf.Tensor;
}

/**
 * Refuses a batch of no examples (`[0, ...]`): a prediction of nothing is a caller's mistake (an
 * empty file list, a filter that kept nothing), and tfjs would answer it with an empty result or
 * its own error.
 *
 * @throws {InvalidArgumentError} naming the method and x.
 */
export function requireExamplesPresent(caller: string, x: tf.Tensor): tf.Tensor {
  if (x.shape[0] === 0) {
    throw new InvalidArgumentError(
      'x',
      x.shape,
      `${caller}: x is an empty batch (shape [${x.shape.join(', ')}]); pass at least one example.`,
    );
  }
  return x;
}

/**
 * Checks a classifier's targets: one-hot rows `[n, numClasses]`, one per example of `x`.
 *
 * @throws {InvalidArgumentError} for another shape (a `[n]` label vector, a single `[1, numClasses]` row) or dtype.
 */
export function requireOneHot(caller: string, y: unknown, examples: number, numClasses: number): tf.Tensor2D {
  return requireTensor(caller, 'y', y, {
    shapes: [[examples, numClasses]],
    fix: `Pass one-hot targets with one row per example of x and ${numClasses} columns (the model's numClasses), e.g. tf.oneHot(labels, ${numClasses}).toFloat().`,
  }) as tf.Tensor2D;
}

/**
 * Checks that one-hot targets hold what their name says: only 0s and 1s, exactly one 1 per row. A
 * row of soft labels or two classes would give a loss that is not the negative log-likelihood of
 * any class. Run after {@link requireOneHot} (the shape), before any tensor is made.
 *
 * Cost: one read of y's `n x numClasses` values (`dataSync`; on WebGL or WebGPU a download from
 * the GPU unless they are still on the CPU) and a pass over them; it makes no tensor. Training
 * steps skip it: a compiled step cannot read its inputs, and the loops build y from labels they
 * check first.
 *
 * @throws {InvalidArgumentError} naming `y`, the first row and column that break the rule and their values.
 * @example requireOneHotValues('Mlp.loss', y);
 */
export function requireOneHotValues(caller: string, y: tf.Tensor2D): void {
  const [rows, columns] = y.shape;
  const values = y.dataSync();
  const fix = `Pass one-hot targets: a row per example with a single 1 in its class's column and 0 elsewhere, e.g. tf.oneHot(labels, ${columns}).toFloat().`;
  for (let row = 0; row < rows; row++) {
    let ones = 0;
    for (let column = 0; column < columns; column++) {
      const value = values[row * columns + column]!;
      if (value === 1) ones++;
      else if (value !== 0) {
        throw new InvalidArgumentError(
          'y',
          value,
          `${caller}: y must hold only 0s and 1s (one-hot); y[${row}][${column}] is ${value}. ${fix}`,
        );
      }
    }
    if (ones !== 1) {
      throw new InvalidArgumentError(
        'y',
        ones,
        `${caller}: each row of y must hold exactly one 1 (one-hot); row ${row} holds ${ones}. ${fix}`,
      );
    }
  }
}
