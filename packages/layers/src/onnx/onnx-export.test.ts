import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from './onnx-export-node';
import { modelToOnnx } from './onnx-export';
import { LogisticRegression } from '../logistic-regression';
import { ONNX_CASES, largestDifference, randomBatch, randomizeWeights, sdaeOutputs } from './onnx-test-models.test-helper';

const TOLERANCE = 1e-5;
/** Debian's python3-onnx, for onnx.checker (the pyenv python on the PATH does not see it). */
const PYTHON_WITH_ONNX = '/usr/bin/python3';
const hasOnnxChecker =
  existsSync(PYTHON_WITH_ONNX) &&
  (() => {
    try {
      execFileSync(PYTHON_WITH_ONNX, ['-c', 'import onnx.checker'], { stdio: 'ignore', cwd: tmpdir() });
      return true;
    } catch {
      return false;
    }
  })();

const freshFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'sdae-onnx-')), name);

async function runOnnx(file: string | Uint8Array, x: Float32Array, shape: number[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(file as string);
  try {
    const results = await session.run({ x: new ort.Tensor('float32', x, shape) });
    return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]));
  } finally {
    await session.release();
  }
}

describe('exportOnnx', () => {
  it.each(ONNX_CASES)('writes a $name that onnxruntime-node runs with sdae’s predictions (1e-5)', async ({ build, batchShape }) => {
    const model = build();
    randomizeWeights(model, 11);
    const x = randomBatch(batchShape, 12);
    const file = freshFile('model.onnx');
    const written = await exportOnnx(model, file);
    const expected = sdaeOutputs(model, x, batchShape);
    const actual = await runOnnx(file, x, batchShape);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const name of Object.keys(expected)) expect(largestDifference(actual[name]!, expected[name]!)).toBeLessThanOrEqual(TOLERANCE);
    expect(written.inputs).toEqual([{ name: 'x', shape: ['batch', ...batchShape.slice(1)] }]);
    expect(written.outputs.map(({ name }) => name).sort()).toEqual(Object.keys(expected).sort());
    model.dispose();
  });

  it('writes a graph that takes any batch size (traced once, run at 1 and 7)', async () => {
    const model = new LogisticRegression({ inputSize: 10, numClasses: 4, seed: 5 });
    randomizeWeights(model, 3);
    const bytes = await modelToOnnx(model);
    for (const batch of [1, 7]) {
      const x = randomBatch([batch, 10], batch);
      const { probabilities } = await runOnnx(bytes, x, [batch, 10]);
      expect(largestDifference(probabilities!, sdaeOutputs(model, x, [batch, 10]).probabilities!)).toBeLessThanOrEqual(TOLERANCE);
    }
    model.dispose();
  });

  it('writes a fixed batch size when asked, which onnxruntime then enforces', async () => {
    const model = new LogisticRegression({ inputSize: 10, numClasses: 4, seed: 5 });
    const file = freshFile('fixed.onnx');
    const written = await exportOnnx(model, file, { batchSize: 3 });
    expect(written.inputs).toEqual([{ name: 'x', shape: [3, 10] }]);
    await expect(runOnnx(file, randomBatch([3, 10], 1), [3, 10])).resolves.toHaveProperty('probabilities');
    await expect(runOnnx(file, randomBatch([2, 10], 1), [2, 10])).rejects.toThrow(/dimension|shape/i);
    model.dispose();
  });

  it('leaves the number of tensors and the backend as they were', async () => {
    const model = new LogisticRegression({ inputSize: 10, numClasses: 4, seed: 5 });
    const [tensors, backend] = [tf.memory().numTensors, tf.getBackend()];
    await modelToOnnx(model);
    expect([tf.memory().numTensors, tf.getBackend()]).toEqual([tensors, backend]);
    model.dispose();
  });

  it.skipIf(!hasOnnxChecker).each(ONNX_CASES)('writes a $name that onnx.checker (full check) accepts', async ({ build }) => {
    const model = build();
    const file = freshFile('checked.onnx');
    await exportOnnx(model, file);
    const script = 'import sys, onnx, onnx.checker; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")';
    expect(execFileSync(PYTHON_WITH_ONNX, ['-c', script, file], { encoding: 'utf8', cwd: tmpdir() }).trim()).toBe('ok');
    model.dispose();
  });
});
