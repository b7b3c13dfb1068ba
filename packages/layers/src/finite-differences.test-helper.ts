// Test helper (not exported): a model's analytic gradients against central finite differences.
import type * as tf from '@tensorflow/tfjs-core';
import { expectArraysClose } from '@sdae/backend/testing';
import type { Model } from './model';

/**
 * Checks `gradients` (by variable name, as `lossAndGradients` returns them) against central
 * finite differences of `cost`, shifting each weight of each of the model's trainable variables
 * by +-`epsilon` through `setWeights` and restoring it after.
 *
 * @example expectFiniteDifferenceGradients(sda, sda.lossAndGradients(x, y).gradients, () => sda.loss(x, y));
 */
export function expectFiniteDifferenceGradients(
  model: Model,
  gradients: Record<string, tf.Tensor>,
  cost: () => tf.Scalar,
  { epsilon = 1e-2, tolerance = 2e-3 } = {},
): void {
  for (const [name, variable] of model.variables) {
    const values = Float32Array.from(variable.dataSync());
    const at = (index: number, shift: number) => {
      const shifted = Float32Array.from(values);
      shifted[index] = values[index]! + shift;
      model.setWeights({ [name]: shifted });
      const loss = cost();
      const result = loss.dataSync()[0]!;
      loss.dispose();
      return result;
    };
    const numeric = values.map((_, index) => (at(index, epsilon) - at(index, -epsilon)) / (2 * epsilon));
    model.setWeights({ [name]: values });
    expectArraysClose(gradients[name]!, numeric, tolerance);
  }
}
