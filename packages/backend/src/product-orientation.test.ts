import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import './register';
import { packsRightOperand } from './product-orientation';
import { selectBackend } from './select-backend';

it('says that wasm packs the right operand of a product and cpu does not', async () => {
  await selectBackend({ backend: 'wasm' });
  expect([tf.getBackend(), packsRightOperand()]).toEqual(['wasm', true]);
  await selectBackend({ backend: 'cpu' });
  expect([tf.getBackend(), packsRightOperand()]).toEqual(['cpu', false]);
});
