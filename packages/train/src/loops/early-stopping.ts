import { requireKnownKeys, requireNumber, requirePositiveInteger, type KnownKeys } from '@sdae/core';

/** Options of {@link EarlyStopping}; the defaults are the Theano tutorial's. */
export interface EarlyStoppingOptions {
  /** Minimum number of minibatch iterations to run. @default 10 * batchesPerEpoch */
  patience?: number;
  /** On a significant improvement at iteration i, patience becomes at least i * patienceIncrease. @default 2 */
  patienceIncrease?: number;
  /** An improvement is significant when the new error is below best * improvementThreshold. @default 0.995 */
  improvementThreshold?: number;
}

const EARLY_STOPPING_OPTION_KEYS: KnownKeys<EarlyStoppingOptions> = { patience: true, patienceIncrease: true, improvementThreshold: true };

/** The state of {@link EarlyStopping}, as saved in a checkpoint. */
export interface EarlyStoppingState {
  patience: number;
  bestError: number;
  bestIteration: number;
}

/**
 * The patience rule of the Theano tutorials. Iterations count minibatches from 0, as the
 * tutorial's `iter = epoch * n_train_batches + minibatch_index`. After a validation at
 * iteration `iter`, a new best error extends patience to `max(patience, iter * patienceIncrease)`
 * when it beats the best by the threshold; training stops once `iter >= patience`.
 *
 * @example
 * const stopping = new EarlyStopping(2500);
 * if (stopping.observe(iteration, validationError)) { ...new best: evaluate the test set... }
 * if (stopping.shouldStop(iteration)) break;
 */
export class EarlyStopping {
  readonly patienceIncrease: number;
  readonly improvementThreshold: number;
  private state: EarlyStoppingState;

  constructor(batchesPerEpoch: number, options: EarlyStoppingOptions = {}) {
    const caller = 'EarlyStopping';
    requireKnownKeys(caller, 'options', options, EARLY_STOPPING_OPTION_KEYS);
    requirePositiveInteger(caller, 'batchesPerEpoch', batchesPerEpoch);
    this.patienceIncrease = requireNumber(caller, 'patienceIncrease', options.patienceIncrease ?? 2, { min: 1 });
    this.improvementThreshold = requireNumber(caller, 'improvementThreshold', options.improvementThreshold ?? 0.995, {
      min: 0,
      max: 1,
      excludeMin: true,
    });
    this.state = {
      patience: requirePositiveInteger(caller, 'patience', options.patience ?? 10 * batchesPerEpoch),
      bestError: Number.POSITIVE_INFINITY,
      bestIteration: -1,
    };
  }

  /** Current patience, in iterations. */
  get patience(): number {
    return this.state.patience;
  }

  /** The best validation error so far (Infinity before the first). */
  get bestError(): number {
    return this.state.bestError;
  }

  /** The iteration of the best validation error (-1 before the first). */
  get bestIteration(): number {
    return this.state.bestIteration;
  }

  /** Records a validation error measured after iteration `iteration`; returns true on a new best. */
  observe(iteration: number, validationError: number): boolean {
    if (!(validationError < this.state.bestError)) return false;
    if (validationError < this.state.bestError * this.improvementThreshold) {
      this.state.patience = Math.max(this.state.patience, iteration * this.patienceIncrease);
    }
    this.state.bestError = validationError;
    this.state.bestIteration = iteration;
    return true;
  }

  /** True once `iteration >= patience`. */
  shouldStop(iteration: number): boolean {
    return iteration >= this.state.patience;
  }

  getState(): EarlyStoppingState {
    return { ...this.state };
  }

  setState(state: EarlyStoppingState): void {
    // JSON has no Infinity: a checkpoint written before the first validation stores null.
    this.state = { ...state, bestError: state.bestError ?? Number.POSITIVE_INFINITY };
  }
}
