// Runs in a fresh project where the packed tarballs are installed: plain Node ESM gets every
// gradient and the filled wasm kernel from @sdae/backend's build, on one tfjs engine.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@sdae/backend';

const report = await selectBackend();
if (report.backend !== 'wasm') throw new Error(`expected wasm, got ${report.backend}`);
const gradient = tf.grad((filter) => tf.conv2d(tf.ones([1, 4, 4, 1]), filter, 1, 'valid').relu().sum())(tf.ones([2, 2, 1, 1]));
if (gradient.dataSync().join() !== '9,9,9,9') throw new Error(`wrong gradient ${gradient.dataSync()}`);
if (tf.engine() !== globalThis._tfengine) throw new Error('two tfjs engines');
