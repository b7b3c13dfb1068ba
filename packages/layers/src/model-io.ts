import { InvalidArgumentError } from '@sdae/core';
import { decodeBundle, encodeBundle, formatError, type BundleTensor, type TensorBundle } from './bundle';
import { buildWithinWeightBudget, WeightBudgetExceeded } from './model';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import type { Model, ModelClassName, ModelConfig } from './model';
import { ReluCnn } from './relu-cnn';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

/** Any model this package can save and load. */
export type AnyModel = DenoisingAutoencoder | StackedDenoisingAutoencoder | ReluCnn | LogisticRegression | Mlp;

const MODEL_FORMAT = 'sdae-model';

const MODEL_CLASSES: Record<ModelClassName, (config: ModelConfig) => AnyModel> = {
  DenoisingAutoencoder: (config) => new DenoisingAutoencoder(config),
  StackedDenoisingAutoencoder: (config) => new StackedDenoisingAutoencoder(config),
  ReluCnn: (config) => new ReluCnn(config),
  LogisticRegression: (config) => new LogisticRegression(config),
  Mlp: (config) => new Mlp(config),
};

/** The first value that is NaN or infinite among `tensors`, with its tensor and index; undefined when all are finite. */
export function firstNonFinite(tensors: readonly BundleTensor[]): { name: string; index: number; value: number } | undefined {
  for (const { name, values } of tensors) {
    for (let index = 0; index < values.length; index++) if (!Number.isFinite(values[index])) return { name, index, value: values[index]! };
  }
  return undefined;
}

/** Builds a model of the named class from its configuration, with fresh weights. */
export function modelFromConfig(className: string, config: ModelConfig): AnyModel {
  const build = MODEL_CLASSES[className as ModelClassName];
  if (build === undefined) {
    throw new InvalidArgumentError(
      'className',
      className,
      `modelFromConfig: className must be one of ${Object.keys(MODEL_CLASSES)
        .map((name) => `'${name}'`)
        .join(', ')}; received "${className}".`,
    );
  }
  return build(config);
}

/** A model as metadata (class, configuration, random states) and its weights. */
export function modelToBundle(model: Model): TensorBundle {
  return bundleOf(model, model.getWeights());
}

function bundleOf(model: Model, weights: ReturnType<Model['getWeights']>): TensorBundle {
  const tensors: BundleTensor[] = [];
  for (const [name, { shape, values }] of weights) tensors.push({ name, shape, values });
  return {
    meta: { format: MODEL_FORMAT, className: model.className, config: model.getConfig(), randomStates: model.getRandomStates() },
    tensors,
  };
}

/**
 * Warns (once per file) that a model saved before sdae stored checksums is loaded unverified: such
 * files still load, so that older runs stay usable, and saving them again adds the checksums.
 */
function warnUnverified(file: string): void {
  warnOnce(
    file,
    `sdae: ${file} was saved by an older sdae without checksums, so damage to its weights cannot be detected. ` +
      'Save the model again (saveModel or modelToBytes) to add them.',
  );
}

/** Prints `message` as a warning unless it was printed for `file` already. */
export function warnOnce(file: string, message: string): void {
  const key = `${file}\n${message}`;
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}
const warned = new Set<string>();

/**
 * Rebuilds a model from {@link modelToBundle}'s output: the class from its name, the model built
 * only if its configuration's weights fit the values present (so a file claiming huge shapes is
 * refused before allocating), then the weights checked name by name and shape by shape.
 * A bundle marked `verified: false` (no checksums: an older file) loads with a warning.
 *
 * @throws {ModelFormatError} naming `file` when the metadata or a weight does not fit.
 */
export function modelFromBundle(bundle: TensorBundle, file = '<bytes>'): AnyModel {
  const { meta, tensors } = bundle;
  const fix = 'Save the model again with @sdae/layers (saveModel or modelToBytes).';
  if (meta.format !== MODEL_FORMAT) throw formatError(file, 'format', `"${MODEL_FORMAT}"`, JSON.stringify(meta.format) ?? 'nothing', fix);
  if (typeof meta.className !== 'string' || !Object.hasOwn(MODEL_CLASSES, meta.className)) {
    throw formatError(file, 'className', Object.keys(MODEL_CLASSES).join(' | '), JSON.stringify(meta.className) ?? 'nothing', fix);
  }
  if (typeof meta.config !== 'object' || meta.config === null || Array.isArray(meta.config)) {
    throw formatError(file, 'config', 'an object', JSON.stringify(meta.config)?.slice(0, 80) ?? 'nothing', fix);
  }
  const randomStates = meta.randomStates;
  if (randomStates !== undefined && (typeof randomStates !== 'object' || randomStates === null || Array.isArray(randomStates))) {
    throw formatError(
      file,
      'randomStates',
      'an object of random stream states',
      JSON.stringify(randomStates)?.slice(0, 80) ?? 'nothing',
      fix,
    );
  }
  const present = tensors.reduce((total, tensor) => total + tensor.values.length, 0);
  let model: AnyModel;
  try {
    model = buildWithinWeightBudget(present, () => modelFromConfig(meta.className as string, meta.config as ModelConfig));
  } catch (error) {
    if (WeightBudgetExceeded.isInstance(error)) {
      throw formatError(
        file,
        'config',
        `a configuration whose weights fit the ${present} values the file holds`,
        `one needing more (${error.weight} [${error.shape.join(', ')}])`,
        fix,
      );
    }
    if (InvalidArgumentError.isInstance(error)) throw formatError(file, 'config', 'a valid configuration', error.message, fix);
    throw error;
  }
  if (bundle.verified === false) warnUnverified(file);
  try {
    const expected = model.getWeights();
    const received = new Map(tensors.map((tensor) => [tensor.name, tensor]));
    for (const [name, { shape }] of expected) {
      const tensor = received.get(name);
      if (tensor === undefined || tensor.shape.join(',') !== shape.join(',')) {
        throw formatError(
          file,
          `weight ${name}`,
          `shape [${shape.join(', ')}]`,
          tensor === undefined ? 'no such weight' : `shape [${tensor.shape.join(', ')}]`,
          fix,
        );
      }
    }
    const notFinite = firstNonFinite(tensors);
    if (notFinite !== undefined) {
      throw formatError(
        file,
        `weight ${notFinite.name}`,
        'finite numbers',
        `${notFinite.value} at index ${notFinite.index} (a model saved after training diverged, or an edited file)`,
        'Use a model saved before training diverged, or train it again with a lower learning rate.',
      );
    }
    const extra = tensors.find((tensor) => !expected.has(tensor.name));
    if (extra !== undefined)
      throw formatError(file, `weight ${extra.name}`, `one of ${[...expected.keys()].join(', ')}`, 'an extra weight', fix);
    model.setWeights(Object.fromEntries(tensors.map((tensor) => [tensor.name, tensor.values])));
    if (randomStates !== undefined) {
      try {
        model.setRandomStates(randomStates as Record<string, number[]>);
      } catch (error) {
        if (!InvalidArgumentError.isInstance(error)) throw error;
        throw formatError(file, 'randomStates', "the states of the model's random streams", error.message, fix);
      }
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/**
 * Serialises a model to one buffer (configuration, weights and random states), for browsers,
 * IndexedDB or a download. Works in Node too.
 *
 * @example
 * const bytes = modelToBytes(da);
 * const copy = modelFromBytes(bytes) as DenoisingAutoencoder;
 */
export function modelToBytes(model: Model): Uint8Array {
  return encodeBundle(modelToBundle(model));
}

/**
 * {@link modelToBytes} without synchronous reads (the weights are read with `await data()`), for
 * GPU backends in browsers: WebGPU on a software adapter cannot read synchronously.
 *
 * @example const bytes = await readModelBytes(cnn);
 */
export async function readModelBytes(model: Model): Promise<Uint8Array> {
  return encodeBundle(bundleOf(model, await model.readWeights()));
}

/**
 * Rebuilds a model saved with {@link modelToBytes}.
 *
 * @throws {ModelFormatError} for a truncated or foreign buffer.
 */
export function modelFromBytes(bytes: Uint8Array | ArrayBuffer, file = '<bytes>'): AnyModel {
  return modelFromBundle(decodeBundle(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), file), file);
}
