import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { expect, it } from 'vitest';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import { ReluCnn } from './relu-cnn';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

/** Runs `call` with inputs made by `inputs`, expecting an InvalidArgumentError matching `message` and no tensor left behind. */
function expectRefused(inputs: () => tf.Tensor[], call: (...tensors: tf.Tensor[]) => unknown, message: RegExp): void {
  const tensors = inputs();
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    call(...tensors);
  } catch (error) {
    caught = error;
  }
  expect(InvalidArgumentError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(tensors);
}

describeBackends(TEST_BACKENDS, 'tensor inputs of the classifiers', () => {
  const x = () => tf.zeros([3, 4]);

  it.each([
    ['a [n] label vector', () => tf.zeros([3])],
    ['one [1, numClasses] row for three examples', () => tf.zeros([1, 2])],
    ['too many classes', () => tf.zeros([3, 5])],
    ['integer targets', () => tf.zeros([3, 2], 'int32')],
  ])('Mlp.loss refuses %s instead of broadcasting it', (_, y) => {
    const mlp = new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 });
    expectRefused(
      () => [x(), y()],
      (input, targets) => mlp.loss(input!, targets as tf.Tensor2D),
      /^Mlp\.loss: y must be a float32 tensor of shape \[3, 2\]; received /,
    );
    mlp.dispose();
  });

  it('Mlp.lossAndGradients refuses wrong targets without leaking the tape', () => {
    const mlp = new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 });
    expectRefused(
      () => [x(), tf.zeros([2])],
      (input, y) => mlp.lossAndGradients(input!, y as tf.Tensor2D),
      /^Mlp\.lossAndGradients: y must be .* shape \[3, 2\]; received a float32 tensor of shape \[2\]\./,
    );
    mlp.dispose();
  });

  it('LogisticRegression.predict refuses an int32 batch and a disposed one', () => {
    const model = new LogisticRegression({ inputSize: 4, numClasses: 2 });
    expectRefused(
      () => [tf.zeros([3, 4], 'int32')],
      (input) => model.predict(input!),
      /^LogisticRegression\.predict: x must be a float32 tensor .*; received a int32 tensor of shape \[3, 4\]\./,
    );
    const disposed = tf.zeros([3, 4]);
    disposed.dispose();
    expect(() => model.predictClasses(disposed)).toThrow(
      /^LogisticRegression\.predictClasses: x must be .*; received a disposed tensor of shape \[3, 4\]\./,
    );
    expect(() => model.predict([[1, 2, 3, 4]] as never)).toThrow(/received \[\[1, 2, 3, 4\]\]\./);
    model.dispose();
  });

  it('StackedDenoisingAutoencoder.loss refuses targets of another example count', () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 4, hiddenSizes: [3], numClasses: 2 });
    expectRefused(
      () => [x(), tf.zeros([4, 2])],
      (input, y) => sda.loss(input!, y as tf.Tensor2D),
      /^StackedDenoisingAutoencoder\.loss: y must be a float32 tensor of shape \[3, 2\]/,
    );
    sda.dispose();
  });

  it('ReluCnn.lossGradientsAndClasses refuses wrong targets and a wrong image size', () => {
    const cnn = new ReluCnn({ inputShape: [6, 6, 1], convolutions: [{ filters: 1, kernelSize: 3 }], numClasses: 2 });
    expectRefused(
      () => [tf.zeros([2, 6, 6, 1]), tf.zeros([2, 3])],
      (input, y) => cnn.lossGradientsAndClasses(input!, y as tf.Tensor2D),
      /^ReluCnn\.lossGradientsAndClasses: y must be a float32 tensor of shape \[2, 2\]/,
    );
    expectRefused(
      () => [tf.zeros([2, 5, 5, 1]), tf.zeros([2, 2])],
      (input, y) => cnn.loss(input!, y as tf.Tensor2D),
      /^ReluCnn\.loss: x must be a float32 tensor of shape \[n, 6, 6, 1\] or \[n, 36\]/,
    );
    cnn.dispose();
  });

  const classifiers = [
    ['Mlp', () => new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 }), () => tf.zeros([3, 4])],
    ['LogisticRegression', () => new LogisticRegression({ inputSize: 4, numClasses: 2 }), () => tf.zeros([3, 4])],
    [
      'StackedDenoisingAutoencoder',
      () => new StackedDenoisingAutoencoder({ inputSize: 4, hiddenSizes: [3], corruptionLevels: [0], numClasses: 2 }),
      () => tf.zeros([3, 4]),
    ],
    [
      'ReluCnn',
      () => new ReluCnn({ inputShape: [6, 6, 1], convolutions: [{ filters: 1, kernelSize: 3 }], numClasses: 2 }),
      () => tf.zeros([3, 6, 6, 1]),
    ],
  ] as const;

  it.each(classifiers)('%s.loss refuses targets that are not one-hot, naming y, the row and the value', (name, build, x) => {
    const model = build();
    const cases: [number[][], RegExp][] = [
      [
        [
          [1, 0],
          [0.5, 0.5],
          [0, 1],
        ],
        /y must hold only 0s and 1s \(one-hot\); y\[1\]\[0\] is 0\.5\. /,
      ],
      [
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        /each row of y must hold exactly one 1 \(one-hot\); row 2 holds 2\. /,
      ],
      [
        [
          [0, 0],
          [0, 1],
          [1, 0],
        ],
        /each row of y must hold exactly one 1 \(one-hot\); row 0 holds 0\. /,
      ],
      [
        [
          [1, 0],
          [0, Number.NaN],
          [1, 0],
        ],
        /y\[1\]\[1\] is NaN\. /,
      ],
      [
        [
          [1, 0],
          [0, -1],
          [1, 0],
        ],
        /y\[1\]\[1\] is -1\. /,
      ],
    ];
    for (const [rows, message] of cases) {
      expectRefused(
        () => [x(), tf.tensor2d(rows)],
        (input, y) => model.loss(input!, y as tf.Tensor2D),
        new RegExp(`^${name}\\.loss: .*${message.source}Pass one-hot targets`),
      );
    }
    // One-hot targets pass: the check refuses only what is not one-hot.
    const [input, y] = [
      x(),
      tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 0],
      ]),
    ];
    const loss = model.loss(input, y as tf.Tensor2D);
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    tf.dispose([input, y, loss]);
    model.dispose();
  });
});

describeBackends(TEST_BACKENDS, 'tensor inputs of DenoisingAutoencoder', () => {
  const build = () => new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, corruptionLevel: 0.5 });

  it('cost refuses a corrupted batch of another shape', () => {
    const da = build();
    expectRefused(
      () => [tf.zeros([2, 6]), tf.zeros([3, 6])],
      (x, corrupted) => da.cost(x as tf.Tensor2D, corrupted as tf.Tensor2D),
      /^DenoisingAutoencoder\.cost: corrupted must be a float32 tensor of shape \[2, 6\]; received a float32 tensor of shape \[3, 6\]\./,
    );
    da.dispose();
  });

  it('lossAndGradients refuses a corrupted batch that is transposed', () => {
    const da = build();
    expectRefused(
      () => [tf.zeros([2, 6]), tf.zeros([6, 2])],
      (x, corrupted) => da.lossAndGradients(x as tf.Tensor2D, corrupted as tf.Tensor2D),
      /^DenoisingAutoencoder\.lossAndGradients: corrupted must be .* \[2, 6\]; received a float32 tensor of shape \[6, 2\]\./,
    );
    da.dispose();
  });

  it('decode refuses a hidden representation of another width', () => {
    const da = build();
    expectRefused(
      () => [tf.zeros([2, 6])],
      (y) => da.decode(y as tf.Tensor2D),
      /^DenoisingAutoencoder\.decode: y must be a float32 tensor of shape \[n, 3\]; received a float32 tensor of shape \[2, 6\]\./,
    );
    da.dispose();
  });

  it('encode and reconstruct refuse an image batch', () => {
    const da = build();
    expectRefused(
      () => [tf.zeros([2, 2, 3])],
      (x) => da.encode(x as tf.Tensor2D),
      /^DenoisingAutoencoder\.encode: x must be a float32 tensor of shape \[n, 6\]/,
    );
    expectRefused(
      () => [tf.zeros([2, 5])],
      (x) => da.reconstruct(x as tf.Tensor2D),
      /^DenoisingAutoencoder\.encode: x must be/,
    );
    da.dispose();
  });
});

describeBackends(TEST_BACKENDS, 'an empty batch given to predict', () => {
  it.each([
    ['Mlp', () => new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 }), [0, 4]],
    ['LogisticRegression', () => new LogisticRegression({ inputSize: 4, numClasses: 2 }), [0, 4]],
    ['ReluCnn', () => new ReluCnn({ inputShape: [4, 4, 1], convolutions: [{ filters: 1, kernelSize: 3 }], numClasses: 2 }), [0, 4, 4, 1]],
  ] as const)('%s.predict and predictClasses refuse x of shape [0, ...] by name', (name, build, shape) => {
    const model = build();
    for (const method of ['predict', 'predictClasses'] as const) {
      expectRefused(
        () => [tf.zeros([...shape])],
        (x) => model[method](x!),
        new RegExp(`^${name}\\.${method}: x is an empty batch \\(shape \\[${shape.join(', ')}\\]\\); pass at least one example\\.$`),
      );
    }
    model.dispose();
  });
});
