import { barsAndStripes } from '@sdae/datasets';
import { Mlp, ReluCnn } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { fitClassifier } from '../loops/fit-classifier';

const set = barsAndStripes({ size: 4, count: 16, seed: 4 });
const images = barsAndStripes({ size: 8, count: 12, seed: 6 });

describe('weight decay in a training loop', () => {
  it.each(['tfjs', 'native'] as const)(
    'adds -lr lambda W0 to one SGD step of each weight matrix and nothing to the biases (engine %s)',
    async (engine) => {
      const build = () => new Mlp({ inputSize: 16, hiddenSizes: [5], numClasses: 2, seed: 3 });
      const initial = build().getWeights();
      const step = async (weightDecay: number) => {
        const mlp = build();
        await fitClassifier(
          mlp,
          { train: set },
          { epochs: 1, batchSize: 16, learningRate: 0.5, weightDecay, earlyStopping: false, engine },
        );
        const weights = mlp.getWeights();
        mlp.dispose();
        return weights;
      };
      const plain = await step(0);
      const decayed = await step(0.1);
      for (const [name, { values }] of initial) {
        // Both steps take the gradient at the same W0, so they differ by the decay term alone.
        const expected = Array.from(values, (value) => (name.endsWith('.b') ? 0 : -0.5 * 0.1 * value));
        const difference = Array.from(decayed.get(name)!.values, (value, index) => value - plain.get(name)!.values[index]!);
        difference.forEach((value, index) => expect(value, `${name}[${index}]`).toBeCloseTo(expected[index]!, 6));
      }
    },
  );

  it('decays convolution filters and not their biases', async () => {
    const build = () => new ReluCnn({ inputShape: [8, 8, 1], convolutions: [{ filters: 2, kernelSize: 3 }], numClasses: 2, seed: 2 });
    const run = async (weightDecay: number) => {
      const cnn = build();
      await fitClassifier(
        cnn,
        { train: images },
        { epochs: 1, batchSize: 12, learningRate: 0.1, weightDecay, earlyStopping: false, engine: 'tfjs' },
      );
      const weights = cnn.getWeights();
      cnn.dispose();
      return weights;
    };
    const initial = build().getWeights();
    const [plain, decayed] = [await run(0), await run(0.2)];
    const filter = initial.get('conv0.filter')!.values;
    Array.from(decayed.get('conv0.filter')!.values).forEach((value, index) =>
      expect(value - plain.get('conv0.filter')!.values[index]!).toBeCloseTo(-0.1 * 0.2 * filter[index]!, 6),
    );
    expect(Array.from(decayed.get('conv0.bias')!.values)).toEqual(Array.from(plain.get('conv0.bias')!.values));
  });
});
