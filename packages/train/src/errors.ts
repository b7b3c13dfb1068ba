import { SdaeError } from '@sdae/core';

/**
 * Training produced a NaN or infinite cost, or one more than a million times the run's first
 * (`firstCost`). The model is left with the weights it had at the start of the epoch; `epoch` and
 * `batch` say where it happened.
 */
export class DivergenceError extends SdaeError {
  readonly epoch: number;
  readonly batch: number;
  readonly cost: number;
  /** The run's first cost, when the cost diverged by growing past a million times it. */
  readonly firstCost: number | undefined;

  constructor(caller: string, epoch: number, batch: number, cost: number, learningRate: number, firstCost?: number) {
    super(
      `${caller}: the cost ${firstCost === undefined ? 'became' : 'grew to'} ${cost} at epoch ${epoch}, batch ${batch}` +
        `${firstCost === undefined ? '' : `, over a million times its first value ${firstCost}`}; training diverged. The weights from the start of ` +
        `epoch ${epoch} were kept. Try a lower learning rate (it is ${learningRate}, e.g. ${learningRate / 10}) or, when ` +
        'initialising from another model, a smaller transfer scale (e.g. 0.1).',
    );
    this.epoch = epoch;
    this.batch = batch;
    this.cost = cost;
    this.firstCost = firstCost;
  }
}
