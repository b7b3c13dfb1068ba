import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../register';
import type { TracedStep } from './ir';
import { traceStep, type StepDefinition } from './trace';

await tf.setBackend('cpu');

/** A step with state (read, then assigned), so that its trace awaits the state's values first. */
function affineStep(name: string): StepDefinition {
  const W = tf.variable(tf.tensor2d([1, -2, 0.5, 3, -1, 2], [3, 2]), true, name);
  return {
    name,
    state: new Map([['W', W]]),
    step: ({ x }) => {
      const y = tf.sigmoid(tf.matMul(x as tf.Tensor2D, W));
      W.assign(tf.mul(W, 0.5));
      return { y };
    },
  };
}
/** A step with state too, of other kernels. */
function convolutionStep(name: string): StepDefinition {
  const filter = tf.variable(tf.ones([2, 2, 1, 2]), true, name);
  return {
    name,
    state: new Map([['filter', filter]]),
    step: ({ x }) => {
      const y = tf.relu(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid'));
      filter.assign(tf.neg(filter));
      return { y };
    },
  };
}

const structure = (traced: TracedStep) => ({
  nodes: traced.graph.nodes,
  initializers: traced.graph.initializers.map((tensor) => [tensor.name, tensor.shape, Array.from(tensor.values as Float32Array, Number)]),
  inputs: traced.graph.inputs,
  outputs: traced.graph.outputs,
  kernels: traced.kernels,
});

describe('traceStep', () => {
  it('gives two compiles run at once the graphs each gives alone (no trace state is shared)', async () => {
    const [affine, convolution] = [affineStep('concurrent-affine'), convolutionStep('concurrent-filter')];
    const alone = [await traceStep(affine, { x: [4, 3] }), await traceStep(convolution, { x: [1, 4, 4, 1] })];
    const together = await Promise.all([traceStep(affine, { x: [4, 3] }), traceStep(convolution, { x: [1, 4, 4, 1] })]);
    expect(together.map(structure)).toEqual(alone.map(structure));
    expect(alone[0]!.kernels).toContain('BatchMatMul');
    expect(alone[1]!.kernels).toContain('Conv2D');
    expect(tf.getBackend()).toBe('cpu');
    tf.dispose([...affine.state.values(), ...convolution.state.values()]);
  });

  it('leaves the state variables and the active backend as they were', async () => {
    const affine = affineStep('restored-affine');
    const W = affine.state.get('W')!;
    const before = Array.from(W.dataSync());
    const traced = await traceStep(affine, { x: [4, 3] });
    expect(Array.from(W.dataSync())).toEqual(before);
    expect(tf.getBackend()).toBe('cpu');
    expect([...traced.stateOutputs.keys()]).toEqual(['W']);
    W.dispose();
  });
});
