import * as tf from '@tensorflow/tfjs-core';
import type { NativeEngine } from './native/runtime/native-engine';

/**
 * Times one short training step on the active backend: the gradient of a 784-128 sigmoid
 * layer's squared error on a batch of 32, the shape of sdae's dA steps. A first run warms the
 * backend up (shader compilation, kernel setup); the median of three more is returned, in ms.
 */
export async function timeProbeStep(): Promise<number> {
  const x = tf.randomUniform([32, 784], 0, 1, 'float32', 1);
  const weights = tf.randomNormal([784, 128], 0, 0.05, 'float32', 2);
  const gradient = tf.grad((w: tf.Tensor) =>
    tf
      .sigmoid(tf.matMul(x, w as tf.Tensor2D))
      .square()
      .sum(),
  );
  const step = async (): Promise<number> => {
    const started = performance.now();
    const result = gradient(weights);
    await result.data();
    result.dispose();
    return performance.now() - started;
  };
  try {
    await step();
    const times = [await step(), await step(), await step()].sort((a, b) => a - b);
    return times[1]!;
  } finally {
    x.dispose();
    weights.dispose();
  }
}

/**
 * Times the probe step's SGD update (the same 784-128 sigmoid layer on 32 images) on a native
 * engine's device: compiled, run once to warm up (shader compilation on a GPU), then the median of
 * three runs, in milliseconds.
 */
export async function timeNativeProbeStep(engine: NativeEngine): Promise<number> {
  const weights = tf.variable(tf.randomNormal([784, 128], 0, 0.05, 'float32', 2));
  const step = engine.prepare({
    name: 'probe',
    state: new Map([['weights', weights]]),
    step: ({ x }) => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf
            .sigmoid(tf.matMul(x as tf.Tensor2D, weights))
            .square()
            .mean() as tf.Scalar,
        [weights],
      );
      weights.assign(tf.sub(weights, tf.mul(grads[weights.name]!, 0.1)));
      return { loss: value };
    },
  });
  const x = { values: Float32Array.from({ length: 32 * 784 }, (_, index) => (index % 97) / 97), shape: [32, 784] };
  const run = async (): Promise<number> => {
    const started = performance.now();
    await step.run({ x });
    return performance.now() - started;
  };
  try {
    await run();
    const times = [await run(), await run(), await run()].sort((a, b) => a - b);
    return times[1]!;
  } finally {
    await step.dispose();
    weights.dispose();
  }
}
