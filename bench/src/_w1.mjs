import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@sdae/backend';
import { DenoisingAutoencoder } from '@sdae/layers';
import { Optimizer } from '@sdae/train';
import { loadMnist, epochBatches } from '@sdae/datasets';
await selectBackend({ backend: 'wasm' });
const mnist = await loadMnist({ split: 'theano' });
const da = new DenoisingAutoencoder({ hiddenSize: 500, corruptionLevel: 0.3, seed: 1 });
const opt = new Optimizer({ learningRate: 0.1 });
const batches = [...epochBatches(mnist.train, { batchSize: 20, order: 'sequential', seed: 1, epoch: 0 })].slice(0, 400);
function time(label, f, n = 300) { for (let i = 0; i < 20; i++) f(i); const t = performance.now(); for (let i = 0; i < n; i++) f(i); const ms = (performance.now() - t) / n; console.log(label.padEnd(34), ms.toFixed(3), 'ms'); return ms; }
const x = tf.tensor2d(batches[0].images, [20, 784]);
const corrupted = da.corrupt(x);
for (let round = 0; round < 2; round++) {
time('tensor2d from batch', (i) => tf.tensor2d(batches[i % 400].images, [20, 784]).dispose());
time('corrupt', () => da.corrupt(x).dispose());
time('lossAndGradients (fixed W, given mask)', () => { const r = da.lossAndGradients(x, corrupted); r.loss.dataSync(); tf.dispose([r.loss, ...Object.values(r.gradients)]); });
time('full step (given mask)', () => { const r = da.lossAndGradients(x, corrupted); r.loss.dataSync(); opt.apply(da.variables, r.gradients); tf.dispose([r.loss, ...Object.values(r.gradients)]); });
time('full step (own mask)', (i) => { const r = tf.tidy(() => da.lossAndGradients(tf.tensor2d(batches[i % 400].images, [20, 784]))); r.loss.dataSync(); opt.apply(da.variables, r.gradients); tf.dispose([r.loss, ...Object.values(r.gradients)]); });
const r = da.lossAndGradients(x, corrupted);
time('apply only', () => opt.apply(da.variables, r.gradients));
tf.dispose([r.loss, ...Object.values(r.gradients)]);
}
