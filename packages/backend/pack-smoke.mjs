// Runs in a fresh project where the packed tarballs are installed: plain Node ESM gets every
// gradient and the filled wasm kernel from @sdae/backend's build, on one tfjs engine.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@sdae/backend';

const report = await selectBackend();
if (report.backend !== 'wasm') throw new Error(`expected wasm, got ${report.backend}`);
const gradient = tf.grad((filter) =>
  tf
    .conv2d(tf.ones([1, 4, 4, 1]), filter, 1, 'valid')
    .relu()
    .sum(),
)(tf.ones([2, 2, 1, 1]));
if (gradient.dataSync().join() !== '9,9,9,9') throw new Error(`wrong gradient ${gradient.dataSync()}`);
if (tf.engine() !== globalThis._tfengine) throw new Error('two tfjs engines');

// The native engine from the packed install (onnxruntime-node, installed with ONNXRUNTIME_NODE_INSTALL=skip):
// one SGD step of a tiny linear model, compiled from tfjs ops, against the value by hand.
import { loadNativeEngine } from '@sdae/backend';

if (!report.native.available) throw new Error(`the native engine did not load: ${report.native.description}`);
const status = await loadNativeEngine({ threads: 1 });
const w = tf.variable(tf.tensor1d([1, 2]));
const step = status.engine.prepare({
  name: 'smoke',
  state: new Map([['w', w]]),
  step: ({ x }) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(x, w)), [w]);
    w.assign(tf.sub(w, tf.mul(grads[w.name], 0.5)));
    return { loss: value };
  },
});
const { loss } = await step.run({ x: { values: Float32Array.of(3, 4), shape: [2] } });
step.syncToVariables();
if (loss[0] !== 11 || w.dataSync().join() !== '-0.5,0') throw new Error(`native step: loss ${loss[0]}, w ${w.dataSync()}`);
await step.dispose();
