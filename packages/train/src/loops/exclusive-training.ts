import { InvalidArgumentError } from '@sdae/core';

/** The models a loop is training now, with the loop's name. */
const training = new WeakMap<object, string>();

/**
 * Marks `model` as trained by `caller` until the returned function is called: a second loop
 * started on the same model meanwhile (two un-awaited `fitClassifier` calls) would interleave
 * their steps on one set of weights and one optimiser state each, and is refused instead.
 *
 * @throws {InvalidArgumentError} (argument `model`) naming both loops, when another trains it.
 * @example const release = claimTraining('fitClassifier', model); try { ... } finally { release(); }
 */
export function claimTraining(caller: string, model: object): () => void {
  const other = training.get(model);
  if (other !== undefined) {
    throw new InvalidArgumentError(
      'model',
      (model as { className?: unknown }).className ?? model,
      `${caller}: the model is already being trained by ${other}, which has not finished; one model trains in one loop at a ` +
        'time. Await the first call before starting another, or train a copy (modelFromBytes(modelToBytes(model))).',
    );
  }
  training.set(model, caller);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    training.delete(model);
  };
}
