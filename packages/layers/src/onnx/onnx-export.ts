import type * as tf from '@tensorflow/tfjs-core';
import { inferenceToOnnx, type InferenceDefinition, type TraceInferenceOptions } from '@sdae/backend';
import type { Classifier } from '../classifier';
import { DenoisingAutoencoder } from '../denoising-autoencoder';
import type { AnyModel } from '../model-io';

/** Options of {@link modelToOnnx} and `exportOnnx`. */
export interface OnnxExportOptions {
  /**
   * The examples per call of the exported graph: `'dynamic'` (its first dimension is the symbol
   * `batch`, any number) or a fixed whole number. @default 'dynamic'
   */
  batchSize?: TraceInferenceOptions['batchSize'];
}

/** One input or output of an exported graph: its name and shape (`'batch'` for a dynamic batch). */
export interface OnnxTensorDescription {
  name: string;
  shape: (number | string)[];
}

/** What an exported ONNX model computes: its inputs and outputs. */
export interface OnnxSignature {
  inputs: OnnxTensorDescription[];
  outputs: OnnxTensorDescription[];
}

/** The shape of one example a model takes, without the batch dimension. */
function exampleShape(model: AnyModel): number[] {
  if (model instanceof DenoisingAutoencoder) return [model.getConfig().visibleSize];
  const config = model.getConfig() as { inputShape?: number[]; inputSize?: number };
  return model.inputLayout === 'image' ? [...config.inputShape!] : [config.inputSize!];
}

/**
 * The inference of a model as the exporter traces it: a classifier's `predict` (output
 * `probabilities`, or `scores` for a `'sigmoid-squared-error'` output, whose values do not sum
 * to 1), a dA's `encode` (`hidden`) and `reconstruct` (`reconstruction`). The input is `x`.
 */
export function inferenceOf(model: AnyModel): InferenceDefinition {
  const inputs = { x: exampleShape(model) };
  if (model instanceof DenoisingAutoencoder) {
    return {
      name: model.className,
      inputs,
      run: ({ x }) => ({ hidden: model.encode(x as tf.Tensor2D), reconstruction: model.reconstruct(x as tf.Tensor2D) }),
    };
  }
  const classifier: Classifier = model;
  const output = classifier.output === 'softmax' ? 'probabilities' : 'scores';
  return { name: model.className, inputs, run: ({ x }) => ({ [output]: classifier.predict(x!) }) };
}

/** The inputs and outputs of the graph {@link modelToOnnx} writes for `model`. */
export function onnxSignature(model: AnyModel, options: OnnxExportOptions = {}): OnnxSignature {
  const batch = options.batchSize ?? 'dynamic';
  const dimension = batch === 'dynamic' ? 'batch' : batch;
  const definition = inferenceOf(model);
  const outputs: OnnxTensorDescription[] =
    model instanceof DenoisingAutoencoder
      ? [
          { name: 'hidden', shape: [dimension, model.getConfig().hiddenSize] },
          { name: 'reconstruction', shape: [dimension, model.getConfig().visibleSize] },
        ]
      : [{ name: model.output === 'softmax' ? 'probabilities' : 'scores', shape: [dimension, model.numClasses] }];
  return { inputs: [{ name: 'x', shape: [dimension, ...definition.inputs.x!] }], outputs };
}

/**
 * Writes a model's inference graph as the bytes of a standard ONNX model file (IR 8, opset 17),
 * traced from the model's own forward pass by @sdae/backend's step compiler, the weights as
 * constants. Runs in browsers and Node; onnxruntime (node, web or python) runs the file with the
 * model's predictions. See {@link inferenceOf} for the names of the inputs and outputs.
 *
 * @throws {UnsupportedKernelError} when the model runs a kernel without an ONNX form.
 * @example
 * const bytes = await modelToOnnx(cnn);
 * const session = await ort.InferenceSession.create(bytes);
 * const { probabilities } = await session.run({ x: new ort.Tensor('float32', pixels, [1, 28, 28, 1]) });
 */
export async function modelToOnnx(model: AnyModel, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  return inferenceToOnnx(inferenceOf(model), options);
}
