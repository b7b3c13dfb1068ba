import { DenoisingAutoencoder } from '../denoising-autoencoder';
import { layersModelArtifacts, type LayersModelPart } from '../layers-format';
import type { AnyModel } from '../model-io';
import { StackedDenoisingAutoencoder } from '../stacked-denoising-autoencoder';
import { formatCount } from './model-summary';

/** The parameters tfjs-layers' `summary()` counts in one model of a tfjs export. */
export interface LayersModelCount {
  part: LayersModelPart;
  total: number;
  trainable: number;
  nonTrainable: number;
}

/** How a tfjs export's parameter counts relate to the model's own ({@link Model.layerSummary}). */
export interface LayersModelCounts {
  parts: LayersModelCount[];
  /** The sum over the parts of what tfjs-layers' summary() reports as "Total params". */
  total: number;
  /** Why that total differs from the model's own, one sentence per reason; empty when they agree. */
  differences: string[];
}

/** BatchNormalization's statistics: weights tfjs-layers counts as non-trainable. */
const STATISTICS = /\/(moving_mean|moving_variance)$/;

/**
 * What tfjs-layers' `model.summary()` counts in the export {@link exportLayersModel} writes for
 * `model`, and why it differs from the model's own count: the per-position bias of a
 * convolution is written as a BatchNormalization whose moving mean and variance (non-trainable,
 * fixed at 0 and 1) add two values per bias value; a dA's tied decoder kernel is written again;
 * an SdA's dA decoder biases are not exported.
 *
 * @example layersModelCounts(new ReluCnn({ preset: 'notebook' })).total; // 7523 (the model's own: 6371)
 */
export function layersModelCounts(model: AnyModel): LayersModelCounts {
  const parts = Object.entries(layersModelArtifacts(model)).map(([part, artifacts]): LayersModelCount => {
    let total = 0;
    let nonTrainable = 0;
    for (const spec of artifacts!.weightSpecs ?? []) {
      const size = spec.shape.reduce((product, dimension) => product * dimension, 1);
      total += size;
      if (STATISTICS.test(spec.name)) nonTrainable += size;
    }
    return { part: part as LayersModelPart, total, trainable: total - nonTrainable, nonTrainable };
  });
  const differences: string[] = [];
  const statistics = parts.reduce((sum, part) => sum + part.nonTrainable, 0);
  if (statistics > 0) {
    differences.push(
      `${formatCount(statistics)} are the moving mean (0) and variance (1) of the BatchNormalization layers that carry the per-position ` +
        'biases (tfjs has no per-position bias layer): non-trainable, they compute nothing, and sdae does not count them',
    );
  }
  if (model instanceof DenoisingAutoencoder && model.getConfig().tiedWeights) {
    const { visibleSize, hiddenSize } = model.getConfig();
    differences.push(
      `the decoder's kernel is the encoder's W transposed (tied weights), written again in decoder/ (${formatCount(visibleSize * hiddenSize)} values) where sdae counts it once`,
    );
  }
  if (model instanceof StackedDenoisingAutoencoder) {
    const { nonTrainableParameters } = model.layerSummary();
    if (nonTrainableParameters > 0)
      differences.push(`the dAs' decoder biases (${formatCount(nonTrainableParameters)}), used only in pretraining, are not exported`);
  }
  return { parts, total: parts.reduce((sum, part) => sum + part.total, 0), differences };
}
