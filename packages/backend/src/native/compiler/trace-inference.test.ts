import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import '../../register';
import { SdaeError } from '@sdae/core';
import { DynamicBatchError, inferenceToOnnx, traceInference, type InferenceDefinition } from './trace-inference';

await tf.setBackend('cpu');
const W = tf.tensor2d([1, -2, 0.5, 3, -1, 2], [3, 2]);

/** x W + 1, then a flattening reshape that names the batch: [n, 2] -> [n, 1, 2] -> [n, 2]. */
const affine: InferenceDefinition = {
  name: 'affine',
  inputs: { x: [3] },
  run: ({ x }) => ({ y: tf.reshape(tf.reshape(tf.add(tf.matMul(x as tf.Tensor2D, W), 1), [-1, 1, 2]), [x!.shape[0]!, 2]) }),
};

async function run(bytes: Uint8Array, x: number[], shape: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), shape) });
  await session.release();
  return Array.from(y!.data as Float32Array);
}

describe('traceInference', () => {
  it('names the inputs and outputs as the definition does, the batch symbolic', async () => {
    const graph = await traceInference(affine);
    expect(graph.inputs).toEqual([{ name: 'x', type: 'float32', shape: [2, 3], dimParams: ['batch'] }]);
    expect(graph.outputs).toEqual([{ name: 'y', type: 'float32', shape: [2, 2], dimParams: ['batch'] }]);
  });

  it('writes a graph that onnxruntime runs at any batch size with the hand-computed values', async () => {
    const bytes = await inferenceToOnnx(affine);
    // [1, 1, 1] W + 1 = [1 + 0.5 - 1, -2 + 3 + 2] + 1 = [1.5, 4]; [2, 0, -1] W + 1 = [3, -6] + 1 = [4, -5]
    expect(await run(bytes, [1, 1, 1], [1, 3])).toEqual([1.5, 4]);
    expect(await run(bytes, [1, 1, 1, 2, 0, -1, 0, 0, 0, 1, 1, 1], [4, 3])).toEqual([1.5, 4, 4, -5, 1, 1, 1.5, 4]);
  });

  it('refuses a dynamic batch when a constant depends on the batch other than as a Reshape dimension', async () => {
    const batchConstant: InferenceDefinition = { name: 'ones', inputs: { x: [2] }, run: ({ x }) => ({ y: tf.add(x!, tf.ones(x!.shape)) }) };
    const error = await traceInference(batchConstant).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DynamicBatchError);
    expect(SdaeError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Pass a fixed batchSize/);
    const fixed = await traceInference(batchConstant, { batchSize: 4 });
    expect(fixed.inputs[0]).toEqual({ name: 'x', type: 'float32', shape: [4, 2] });
  });

  it('writes opset 17 (exported models stay readable where opset 18 is not), a convolution and a reduction included', async () => {
    const filter = tf.tensor4d([1, 0, -1, 2, 0.5, 0, 1, -2], [2, 2, 1, 2]);
    const convolution: InferenceDefinition = {
      name: 'conv-mean',
      inputs: { x: [3, 3, 1] },
      run: ({ x }) => ({ y: tf.mean(tf.conv2d(x as tf.Tensor4D, filter, 1, 'valid'), [1, 2]) }),
    };
    const graph = await traceInference(convolution);
    expect(graph.opset).toBe(17);
    const image = Array.from({ length: 9 }, (_, index) => index / 4);
    const expected = tf.tidy(() => Array.from(convolution.run({ x: tf.tensor4d(image, [1, 3, 3, 1]) }).y!.dataSync()));
    const got = await run(await inferenceToOnnx(convolution), image, [1, 3, 3, 1]);
    got.forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 5));
  });

  it('refuses a batchSize that is not a whole number >= 1', async () => {
    await expect(traceInference(affine, { batchSize: 0 })).rejects.toThrow(/batchSize/);
  });
});
