// Runs in a fresh project where the packed tarballs are installed: plain Node CJS as well.
const tf = require('@tensorflow/tfjs-core');
const { selectBackend } = require('@sdae/backend');

selectBackend({ backend: 'cpu' }).then(() => {
  const loss = (w) => tf.sigmoid(tf.matMul(tf.ones([2, 3]), w)).sum();
  const gradient = tf.grad(loss)(tf.zeros([3, 1]));
  // d/dw sum(sigmoid(x w)) at w = 0 is x^T * sigmoid'(0) = 2 * 0.25 per weight.
  if (gradient.dataSync().join() !== '0.5,0.5,0.5') throw new Error(`wrong gradient ${gradient.dataSync()}`);
});
