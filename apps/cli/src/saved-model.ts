import { stat } from 'node:fs/promises';
import { InvalidArgumentError } from '@sdae/core';
import { loadModel, modelFromBundle, type AnyModel } from '@sdae/layers';
import { decodeCheckpoint, readCheckpointFile } from '@sdae/train';

/**
 * The model a training command saved, given as `--model`: its model directory (saveModel) or a
 * checkpoint file (`<out>/checkpoint.sdae`).
 *
 * @throws {InvalidArgumentError} naming --model when nothing exists at `path` (a usage error).
 * @throws {ModelFormatError} or {@link CheckpointFormatError} when what is there is not a model.
 */
export async function loadSavedModel(path: string): Promise<AnyModel> {
  const found = await stat(path).catch(() => undefined);
  if (found === undefined) {
    throw new InvalidArgumentError(
      '--model',
      path,
      `--model ${path} does not exist; pass the model directory a training command wrote (<out>/model) or its checkpoint file (<out>/checkpoint.sdae).`,
    );
  }
  if (found.isDirectory()) return loadModel(path);
  const checkpoint = decodeCheckpoint(await readCheckpointFile(path), path);
  const meta = { format: 'sdae-model', className: checkpoint.className, config: checkpoint.config, randomStates: checkpoint.randomStates };
  return modelFromBundle({ meta, tensors: checkpoint.weights }, path);
}
