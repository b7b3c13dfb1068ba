// The four workloads of the benchmark, written with the public API only (as examples/ does). The
// PyTorch peer (peer/workloads.py) implements the same four with the same shapes, optimiser,
// batch sizes and step counts; keep the two in step.
//
// `train(model, mnist, plan, run)` gives every loop it calls the step clock's hooks and the run's
// engine (`engine: 'tfjs'` for the tfjs backends' rows, `engine: 'native'` with `threads` for the
// native row), so no loop runs on the loops' default engine ('auto', which is native wherever
// onnxruntime-node loads).
import { DenoisingAutoencoder, ReluCnn, StackedDenoisingAutoencoder } from '@sdae/layers';
import { DEFAULT_LEARNING_RATE, fitClassifier, pretrainStack, trainAutoencoder, trainSampled } from '@sdae/train';
import { autoencoderFlops, convolutionFlops, denseFlops, forwardFlops } from './flops.mjs';

/** The engines a bench run names explicitly (never the loops' default, 'auto'). */
export const BENCH_ENGINES = ['tfjs', 'native'];

/**
 * A run's loop options: the timing hooks, the engine it names and, on the native engine, its
 * threads. Throws when the engine is missing or 'auto', so that a row never runs on an engine it
 * does not name.
 */
function loopOptions({ hooks, engine, threads, device, batchSize, batchParts }) {
  if (!BENCH_ENGINES.includes(engine))
    throw new Error(
      `workloads: engine must be one of ${BENCH_ENGINES.join(', ')}; received ${JSON.stringify(engine)}. Pass the run's engine explicitly.`,
    );
  // batchSize: only step-graphs.mjs's `save --batch` gives one (a step graph of another batch); the bench never does.
  const batch = batchSize === undefined ? {} : { batchSize };
  // batchParts: the native rows of run.mjs --batch-parts (each batch in parts on the CPU's threads at once).
  const parts = batchParts === undefined ? {} : { batchParts };
  return engine === 'native' ? { ...hooks, engine, threads, device: device ?? 'cpu', ...batch, ...parts } : { ...hooks, engine, ...batch };
}

/** Minibatches in one epoch of the Theano split's 50,000 training images at batch 20. */
const EPOCH_BATCHES_20 = 50_000 / 20;
const SDA_SIZES = [784, 1000, 1000, 1000];

/**
 * How many steps a stage runs: the full count scaled by the fraction, at least one more than the
 * warm-up so that a steady-state time exists.
 */
function scaledSteps(fullSteps, fraction, warmup) {
  return Math.min(fullSteps, Math.max(warmup + 1, Math.round(fullSteps * fraction)));
}

/** The small ReLU CNN of W3: conv 5x5x8 + ReLU + max-pool 2, conv 5x5x16 + ReLU + max-pool 2, dense 256 -> 10. */
export const SMALL_CNN_OPTIONS = {
  convolutions: [
    { filters: 8, kernelSize: 5, padding: 'valid', pool: 2 },
    { filters: 16, kernelSize: 5, padding: 'valid', pool: 2 },
  ],
  denseSizes: [],
  seed: 1,
};

/**
 * Each workload: `plan(settings)` says which stages run how many steps (`fullSteps` is the
 * workload as the issue defines it; `steps` what this run measures), `build()` makes the model
 * and `train(model, mnist, plan, run)` runs the public training loops with `run`'s timing hooks,
 * engine and threads (`run` is `{ hooks, engine: 'tfjs' | 'native', threads, batchSize?, batchParts? }`; a batchSize replaces the
 * workload's own).
 * `settings` is `{ fraction, warmup, w3Steps }`.
 */
export const WORKLOADS = {
  W1: {
    title: 'dA 784-500 sigmoid, tied W, cross-entropy, masking 0.3, batch 20, SGD 0.1, 1 epoch of 50,000',
    split: 'theano',
    convolutional: false,
    unit: 'epoch',
    plan: ({ fraction, warmup }) => ({
      stages: [
        {
          name: 'train',
          fullSteps: EPOCH_BATCHES_20,
          steps: scaledSteps(EPOCH_BATCHES_20, fraction, warmup),
          flopsPerStep: autoencoderFlops(20, 784, 500),
        },
      ],
    }),
    build: () => new DenoisingAutoencoder({ hiddenSize: 500, corruptionLevel: 0.3, seed: 1 }),
    async train(da, mnist, plan, run) {
      const options = loopOptions(run);
      await trainAutoencoder(da, mnist.train, {
        epochs: 1,
        batchSize: 20,
        learningRate: DEFAULT_LEARNING_RATE,
        batchesPerEpoch: plan.stages[0].steps,
        ...options,
      });
    },
  },

  W2: {
    title: 'notebook CNN: one 5x5 filter, bias per position, ReLU, dense 576 -> 10 softmax, batch 100, SGD 0.1, 3,000 iterations',
    split: 'standard',
    convolutional: true,
    unit: 'run',
    plan: ({ fraction, warmup }) => ({
      stages: [
        {
          name: 'train',
          fullSteps: 3000,
          steps: scaledSteps(3000, fraction, warmup),
          flopsPerStep: convolutionFlops(100, [24, 24, 1], [5, 5, 1], { needsInputGradient: false }) + denseFlops(100, 576, 10),
        },
      ],
    }),
    build: () => new ReluCnn({ preset: 'notebook', seed: 1 }),
    async train(cnn, mnist, plan, run) {
      const options = loopOptions(run);
      await trainSampled(cnn, mnist.train, {
        iterations: plan.stages[0].steps,
        batchSize: 100,
        learningRate: DEFAULT_LEARNING_RATE,
        ...options,
      });
    },
  },

  W3: {
    title: 'small ReLU CNN: conv 5x5x8 + ReLU + pool 2, conv 5x5x16 + ReLU + pool 2, dense 256 -> 10 softmax, batch 100, SGD 0.1',
    split: 'standard',
    convolutional: true,
    unit: 'step',
    plan: ({ warmup, w3Steps }) => ({
      stages: [
        {
          name: 'train',
          fullSteps: warmup + w3Steps,
          steps: warmup + w3Steps,
          flopsPerStep:
            convolutionFlops(100, [24, 24, 8], [5, 5, 1], { needsInputGradient: false }) +
            convolutionFlops(100, [8, 8, 16], [5, 5, 8]) +
            denseFlops(100, 256, 10),
        },
      ],
    }),
    build: () => new ReluCnn(SMALL_CNN_OPTIONS),
    async train(cnn, mnist, plan, run) {
      const options = loopOptions(run);
      await trainSampled(cnn, mnist.train, {
        iterations: plan.stages[0].steps,
        batchSize: 100,
        learningRate: DEFAULT_LEARNING_RATE,
        ...options,
      });
    },
  },

  W4: {
    title:
      'SdA 784-1000-1000-1000-10: 1 pretraining epoch per layer (masking 0.1/0.2/0.3, SGD 0.001), 1 fine-tuning epoch (SGD 0.1), batch 20',
    split: 'theano',
    convolutional: false,
    unit: 'run',
    plan: ({ fraction, warmup }) => {
      const steps = scaledSteps(EPOCH_BATCHES_20, fraction, warmup);
      const stages = [0, 1, 2].map((layer) => ({
        name: `pretrain${layer}`,
        fullSteps: EPOCH_BATCHES_20,
        steps,
        flopsPerStep: forwardFlops(20, SDA_SIZES.slice(0, layer + 1)) + autoencoderFlops(20, SDA_SIZES[layer], SDA_SIZES[layer + 1]),
      }));
      const finetuneFlops =
        denseFlops(20, 784, 1000, { needsInputGradient: false }) + denseFlops(20, 1000, 1000) * 2 + denseFlops(20, 1000, 10);
      stages.push({ name: 'finetune', fullSteps: EPOCH_BATCHES_20, steps, flopsPerStep: finetuneFlops });
      return { stages };
    },
    build: () => new StackedDenoisingAutoencoder({ hiddenSizes: [1000, 1000, 1000], corruptionLevels: [0.1, 0.2, 0.3], seed: 1 }),
    async train(sda, mnist, plan, run) {
      const options = loopOptions(run);
      const batchesPerEpoch = plan.stages[0].steps;
      await pretrainStack(sda, mnist.train, { epochs: 1, batchSize: 20, learningRate: 0.001, batchesPerEpoch, ...options });
      await fitClassifier(
        sda,
        { train: mnist.train },
        { epochs: 1, batchSize: 20, learningRate: DEFAULT_LEARNING_RATE, earlyStopping: false, batchesPerEpoch, ...options },
      );
    },
  },
};

export const WORKLOAD_NAMES = Object.keys(WORKLOADS);
