import { SdaeError } from '@sdae/core';

const DIVERGENCE_MARKER = 'sdae.error.DivergenceError';
const DIVERGENCE_SYMBOL = Symbol.for(DIVERGENCE_MARKER);

/**
 * Training produced a NaN or infinite cost, or one more than a million times the run's first
 * (`firstCost`). The model is left with the weights it had at the start of the epoch; `epoch` and
 * `batch` say where it happened.
 */
export class DivergenceError extends SdaeError {
  protected readonly [DIVERGENCE_SYMBOL] = true;
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

  /** True when `value` is a {@link DivergenceError}, from this copy of `@sdae/train` or any other. */
  static override isInstance(value: unknown): value is DivergenceError {
    return SdaeError.hasMarker(value, DIVERGENCE_MARKER);
  }
}
