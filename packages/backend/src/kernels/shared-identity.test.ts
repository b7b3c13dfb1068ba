import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import '../register';
import { describeBackends } from '../testing-helpers';

describeBackends(['cpu', 'wasm'], 'Identity (tf.clone)', () => {
  it('shares the memory: a clone refers to the same data and outlives its source', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const before = tf.memory();
    const clone = tf.clone(x);
    expect(clone.dataId).toBe(x.dataId);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    x.dispose();
    expect(Array.from(clone.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    clone.dispose();
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers - 1);
  });

  it('keeps a clone unchanged when the source variable is updated', () => {
    const variable = tf.variable(tf.tensor1d([1, 2, 3]));
    const saved = tf.clone(variable);
    variable.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(variable.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([variable, saved]);
  });

  it('clones strings too', () => {
    const text = tf.tensor1d(['a', 'bc'], 'string');
    const clone = tf.clone(text);
    expect(clone.dataSync()).toEqual(['a', 'bc']);
    tf.dispose([text, clone]);
  });
});
