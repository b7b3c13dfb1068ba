import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../register';
import { loadNativeEngine } from './native-engine';
import type { ShardedStepDefinition } from './sharded-step';

await tf.setBackend('cpu');

const status = await loadNativeEngine({ threads: 2 });
if (!status.ok) throw new Error(`these tests need onnxruntime-node: ${status.reason}`);
const engine = status.engine;

/**
 * Least squares on a linear map, `loss = mean over rows of sum((x W - y)^2) / 2`, trained by SGD:
 * a part's gradient is `x^T (x W - y) / rows`, its per-example outputs the predicted class (int32)
 * and the row's squared error.
 */
function leastSquares(name: string, combine: 'mean' | 'sum', initial: number[][]): ShardedStepDefinition & { W: tf.Variable } {
  const W = tf.variable(tf.tensor2d(initial), true, name);
  return {
    name,
    W,
    state: new Map([['W', W]]),
    part: ({ x, y }) => {
      const residual = tf.sub(tf.matMul(x as tf.Tensor2D, W), y!);
      const perRow = tf.div(tf.sum(tf.square(residual), 1), 2);
      return {
        outputs: { loss: tf.mean(perRow), classes: tf.argMax(tf.matMul(x as tf.Tensor2D, W), 1), errors: perRow },
        gradients: { W: tf.div(tf.matMul(x as tf.Tensor2D, residual, true, false), x!.shape[0]!) },
      };
    },
    update: ({ W: gradient }, { learningRate }) => W.assign(tf.sub(W, tf.mul(gradient!, learningRate!))),
    combine,
  };
}

/** The same step by hand, on plain arrays: the outputs and the new weights, each part's gradient combined as asked. */
function byHand(W: number[][], x: number[][], y: number[][], parts: number, combine: 'mean' | 'sum', learningRate: number) {
  const predict = (row: number[]) => W[0]!.map((_, column) => row.reduce((sum, value, k) => sum + value * W[k]![column]!, 0));
  const predictions = x.map(predict);
  const residuals = predictions.map((row, index) => row.map((value, column) => value - y[index]![column]!));
  const errors = residuals.map((row) => row.reduce((sum, value) => sum + value * value, 0) / 2);
  const rows = x.length / parts;
  const gradient = W.map((row) => row.map(() => 0));
  for (let part = 0; part < parts; part++)
    for (let index = part * rows; index < (part + 1) * rows; index++)
      for (let k = 0; k < W.length; k++)
        for (let column = 0; column < W[0]!.length; column++)
          gradient[k]![column]! += (x[index]![k]! * residuals[index]![column]!) / rows / (combine === 'mean' ? parts : 1);
  return {
    loss: errors.reduce((sum, value) => sum + value, 0) / x.length,
    classes: predictions.map((row) => row.indexOf(Math.max(...row))),
    errors,
    W: W.map((row, k) => row.map((value, column) => value - learningRate * gradient[k]![column]!)),
  };
}

const rowsOf = (count: number, width: number, seed: number) =>
  Array.from({ length: count }, (_, row) => Array.from({ length: width }, (_, column) => Math.sin(seed + row * 1.7 + column * 0.9)));

describe('ShardedStep (a batch in parts on worker threads)', () => {
  for (const combine of ['mean', 'sum'] as const)
    it(`gives a known answer for two batch shapes in turn, each in two parts (${combine} of the parts' gradients)`, async () => {
      const initial = [
        [0.5, -0.25],
        [0.1, 0.3],
        [-0.2, 0.4],
      ];
      const definition = leastSquares(`least-squares-${combine}`, combine, initial);
      const step = engine.prepareSharded(definition, 2);
      let W = initial;
      // Batches of 4 rows, then 6 (a second compiled shape, its parts the workers' second entry), then 4 again.
      for (const [index, rows] of [4, 6, 4].entries()) {
        const x = rowsOf(rows, 3, index);
        const y = rowsOf(rows, 2, 10 + index);
        const outputs = await step.run({
          x: { values: Float32Array.from(x.flat()), shape: [rows, 3] },
          y: { values: Float32Array.from(y.flat()), shape: [rows, 2] },
          learningRate: { values: Float32Array.of(0.5), shape: [] },
        });
        const expected = byHand(W, x, y, 2, combine, 0.5);
        expect(outputs.loss![0]).toBeCloseTo(expected.loss, 5);
        expect(Array.from(outputs.classes!)).toEqual(expected.classes);
        expect(outputs.classes).toBeInstanceOf(Int32Array);
        Array.from(outputs.errors!).forEach((value, row) => expect(value).toBeCloseTo(expected.errors[row]!, 5));
        step.syncToVariables();
        const trained = definition.W.arraySync() as number[][];
        trained.forEach((row, k) => row.forEach((value, column) => expect(value).toBeCloseTo(expected.W[k]![column]!, 5)));
        W = expected.W;
      }
      expect((await step.graphs()).length).toBe(2);
      await step.dispose();
      await expect(step.run({})).rejects.toThrow('ShardedStep.run: the step "least-squares-' + combine + '" has been disposed.');
      definition.W.dispose();
    });

  it('runs steps called at once one after the other, in call order, beside a compile of another shape', async () => {
    const initial = [
      [0.2, -0.1],
      [0.4, 0.3],
      [-0.3, 0.1],
    ];
    const definition = leastSquares('least-squares-at-once', 'mean', initial);
    const step = engine.prepareSharded(definition, 2);
    const batches = [0, 1, 2].map((index) => ({ x: rowsOf(4, 3, 20 + index), y: rowsOf(4, 2, 30 + index) }));
    const feedsOf = ({ x, y }: { x: number[][]; y: number[][] }) => ({
      x: { values: Float32Array.from(x.flat()), shape: [4, 3] },
      y: { values: Float32Array.from(y.flat()), shape: [4, 2] },
      learningRate: { values: Float32Array.of(0.5), shape: [] },
    });
    const [first, , second, third] = await Promise.all([
      step.run(feedsOf(batches[0]!)),
      step.compileFor({ x: [8, 3], y: [8, 2], learningRate: [] }),
      step.run(feedsOf(batches[1]!)),
      step.run(feedsOf(batches[2]!)),
    ]);
    let W = initial;
    for (const [index, outputs] of [first!, second!, third!].entries()) {
      const expected = byHand(W, batches[index]!.x, batches[index]!.y, 2, 'mean', 0.5);
      expect(outputs.loss![0]).toBeCloseTo(expected.loss, 5);
      W = expected.W;
    }
    step.syncToVariables();
    (definition.W.arraySync() as number[][]).forEach((row, k) =>
      row.forEach((value, column) => expect(value).toBeCloseTo(W[k]![column]!, 5)),
    );
    await step.dispose();
    definition.W.dispose();
  });
});
