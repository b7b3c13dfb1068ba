// Saving a trained model to a file and loading it back, in the format of @sdae/layers
// (modelToBytes, here readModelBytes), which the Node API (loadModel's bytes form) and the CLI read too.
import { modelFromBytes, readModelBytes, type AnyModel, type Model } from '@sdae/layers/browser';

/** The file ending of saved models. */
export const MODEL_FILE_EXTENSION = '.sdae';

/** Offers the model as a file download named `<name>.sdae` (its weights read without blocking the page). */
export async function downloadModel(model: Model, name: string): Promise<void> {
  const bytes = await readModelBytes(model);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `${name}${MODEL_FILE_EXTENSION}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Reads a model file chosen by the user.
 *
 * @throws {ModelFormatError} naming the file when it is not a saved model.
 */
export async function readModelFile(file: File): Promise<AnyModel> {
  return modelFromBytes(new Uint8Array(await file.arrayBuffer()), file.name);
}
