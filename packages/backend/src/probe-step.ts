import * as tf from '@tensorflow/tfjs-core';

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
