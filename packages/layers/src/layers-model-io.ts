import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, describeValue } from '@sdae/core';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { layersModelArtifacts, modelFromLayersArtifacts, type LayersModelArtifacts, type LayersModelPart } from './layers-format';
import type { AnyModel } from './model-io';

/**
 * Where a layers-format model is written or read: a tfjs IOHandler (`tf.io.withSaveHandler`,
 * `tf.io.fromMemory`, `tf.io.browserDownloads`...), a URL a tfjs router handles
 * (`indexeddb://name`, `localstorage://name`, `downloads://name`, `https://.../model.json` to
 * read), in Node also a directory; or, for a dA's two models, `{ encoder, decoder }` of those. A
 * URL or directory given for a dA holds them as `<location>/encoder` and `<location>/decoder`.
 */
export type LayersModelLocation = string | tf.io.IOHandler | { encoder: string | tf.io.IOHandler; decoder: string | tf.io.IOHandler };

/** One model written by {@link exportLayersModel}: which part, where (the URL or directory, or `<IOHandler>`), and what tfjs reports. */
export interface ExportedLayersModel {
  part: LayersModelPart;
  location: string;
  result: tf.io.SaveResult;
}

/** Turns a string location into the handler that reads or writes it (tfjs routers; directories in Node). */
export type LocationResolver = (location: string, caller: string, purpose: 'save' | 'load') => tf.io.IOHandler;

/** The handler tfjs' registered routers give for a URL (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://`). */
export function routerHandler(location: string, caller: string, purpose: 'save' | 'load'): tf.io.IOHandler {
  const handlers = purpose === 'save' ? tf.io.getSaveHandlers(location) : tf.io.getLoadHandlers(location);
  if (handlers.length === 0) {
    throw new InvalidArgumentError(
      'location',
      location,
      `${caller}: no tfjs handler ${purpose === 'save' ? 'writes' : 'reads'} "${location}". Pass a URL such as indexeddb://name, ` +
        `localstorage://name${purpose === 'save' ? ', downloads://name' : ', https://host/model.json'}, a tf.io IOHandler` +
        `${typeof process === 'undefined' ? '' : ', or (from the Node entry of @sdae/layers) a directory'}.`,
    );
  }
  return handlers[0]!;
}

function isHandler(value: unknown): value is tf.io.IOHandler {
  return typeof value === 'object' && value !== null && ('save' in value || 'load' in value);
}

/** Each part's handler and its name in messages, from a location. */
function handlersFor(
  location: LayersModelLocation,
  parts: readonly LayersModelPart[],
  caller: string,
  purpose: 'save' | 'load',
  resolve: LocationResolver,
): Map<LayersModelPart, { handler: tf.io.IOHandler; name: string }> {
  const one = (where: string | tf.io.IOHandler) =>
    typeof where === 'string' ? { handler: resolve(where, caller, purpose), name: where } : { handler: where, name: '<IOHandler>' };
  const handlers = new Map<LayersModelPart, { handler: tf.io.IOHandler; name: string }>();
  for (const part of parts) {
    if (part === 'model') {
      if (!isHandler(location) && typeof location !== 'string') {
        throw new InvalidArgumentError(
          'location',
          location,
          `${caller}: this model is one layers model: pass one directory, URL or IOHandler, not { encoder, decoder }.`,
        );
      }
      handlers.set(part, one(location));
    } else if (typeof location === 'string') {
      handlers.set(part, one(`${location.replace(/\/+$/, '')}/${part}`));
    } else if (isHandler(location) || typeof location !== 'object' || location === null || location[part] === undefined) {
      throw new InvalidArgumentError(
        'location',
        location,
        `${caller}: a dA is two layers models: pass { encoder, decoder } (each a URL or IOHandler) or one directory or URL to hold ` +
          `both as <location>/encoder and <location>/decoder; received ${isHandler(location) ? 'one IOHandler' : describeValue(location)}.`,
      );
    } else {
      handlers.set(part, one(location[part]));
    }
  }
  return handlers;
}

/** {@link exportLayersModel} with the given way of turning string locations into handlers. */
export async function exportLayersModelWith(
  model: AnyModel,
  location: LayersModelLocation,
  resolve: LocationResolver,
): Promise<ExportedLayersModel[]> {
  const caller = 'exportLayersModel';
  const parts: LayersModelPart[] = model instanceof DenoisingAutoencoder ? ['encoder', 'decoder'] : ['model'];
  const handlers = handlersFor(location, parts, caller, 'save', resolve);
  const artifacts = layersModelArtifacts(model);
  const exported: ExportedLayersModel[] = [];
  for (const part of parts) {
    const { handler, name } = handlers.get(part)!;
    if (handler.save === undefined)
      throw new InvalidArgumentError('location', name, `${caller}: the IOHandler for ${part} cannot save (it has no save method).`);
    exported.push({ part, location: name, result: await handler.save(artifacts[part]!) });
  }
  return exported;
}

/** {@link importLayersModel} with the given way of turning string locations into handlers; `parts` says which models to read. */
export async function importLayersModelWith(
  location: LayersModelLocation,
  parts: readonly LayersModelPart[],
  resolve: LocationResolver,
  fileName: (name: string) => string = (name) => name,
): Promise<AnyModel> {
  const caller = 'importLayersModel';
  const handlers = handlersFor(location, parts, caller, 'load', resolve);
  const artifacts: LayersModelArtifacts = {};
  const files: Partial<Record<LayersModelPart, string>> = {};
  for (const part of parts) {
    const { handler, name } = handlers.get(part)!;
    if (handler.load === undefined)
      throw new InvalidArgumentError('location', name, `${caller}: the IOHandler for ${part} cannot load (it has no load method).`);
    artifacts[part] = await handler.load();
    files[part] = fileName(name);
  }
  return modelFromLayersArtifacts(artifacts, files);
}

/** The parts a location holds when nothing else says: `{ encoder, decoder }` is a dA, anything else one model. */
export function partsOf(location: LayersModelLocation): LayersModelPart[] {
  return typeof location === 'object' && location !== null && !isHandler(location) ? ['encoder', 'decoder'] : ['model'];
}

/**
 * Writes a model in the standard TensorFlow.js layers format (a Keras-style `model.json` and
 * binary weights), which `tf.loadLayersModel` from @tensorflow/tfjs-layers loads and runs with
 * the same predictions: LogisticRegression, Mlp, StackedDenoisingAutoencoder (hidden layers and
 * softmax), ReluCnn (see `BIAS_EPSILON` in layers-format.ts for the per-position bias), and a
 * DenoisingAutoencoder as two models, its encoder and its decoder. sdae's class, configuration
 * and a CRC-32 per weight go in `userDefinedMetadata.sdae`, so {@link importLayersModel} rebuilds
 * the same model and detects damaged weights.
 *
 * @param location an IOHandler or a URL a tfjs router handles; see {@link LayersModelLocation}.
 * @returns what was written, one entry per model.
 * @throws {InvalidArgumentError} for a location that nothing can write.
 * @example await exportLayersModel(mlp, 'indexeddb://mnist-mlp'); // then tf.loadLayersModel('indexeddb://mnist-mlp')
 */
export function exportLayersModel(model: AnyModel, location: LayersModelLocation): Promise<ExportedLayersModel[]> {
  return exportLayersModelWith(model, location, routerHandler);
}

/**
 * Loads a layers-format model (an sdae export, or a Keras model of the same architecture
 * converted with tensorflowjs_converter: Dense, Conv2D, MaxPooling2D, Flatten and Activation
 * layers) into the sdae model that computes the same function, ready for fine-tuning: a
 * LogisticRegression, an Mlp, a StackedDenoisingAutoencoder (sdae's own exports), a ReluCnn, or
 * from `{ encoder, decoder }` a DenoisingAutoencoder.
 *
 * @param location an IOHandler (such as `tf.io.fromMemory(...)`), a URL a tfjs router handles, or `{ encoder, decoder }`.
 * @throws {ModelFormatError} naming the file and layer that sdae cannot represent, and what it supports.
 * @example const mlp = (await importLayersModel('https://example.com/mlp/model.json')) as Mlp;
 */
export function importLayersModel(location: LayersModelLocation): Promise<AnyModel> {
  return importLayersModelWith(location, partsOf(location), routerHandler);
}
