import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../register';
import { traceStep } from './trace';

await tf.setBackend('cpu');

describe('traceStep with elementwiseOutputShape', () => {
  it('gives elementwise kernels and sums of float32 operands zeros of their output shape instead of computing them', async () => {
    const bias = tf.tensor1d([1, 2, 3]);
    const seen: Record<string, { shape: number[]; values: number[] }> = {};
    const record = (name: string, tensor: tf.Tensor) => {
      seen[name] = { shape: tensor.shape, values: Array.from(tensor.dataSync()) };
      return tensor;
    };
    const traced = await traceStep(
      {
        name: 'shapes',
        state: new Map(),
        step: ({ x }) => {
          const shifted = record('add', tf.add(x!, bias));
          const summed = record('sum', tf.sum(tf.sigmoid(shifted), 1, true));
          // int32 operands are computed as before.
          record('int', tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([2, 3], 'int32')));
          return { y: tf.mul(summed, 2) };
        },
      },
      { x: [2, 3] },
    );
    expect(seen).toEqual({
      add: { shape: [2, 3], values: [0, 0, 0, 0, 0, 0] },
      sum: { shape: [2, 1], values: [0, 0] },
      int: { shape: [2], values: [3, 5] },
    });
    expect(traced.outputs.get('y')!.shape).toEqual([2, 1]);
    expect(traced.kernels).toEqual(expect.arrayContaining(['Add', 'Sigmoid', 'Sum', 'Multiply']));
  });
});
