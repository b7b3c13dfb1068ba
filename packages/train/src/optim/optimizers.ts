import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireKnownKeys, requireNumber, resolveChoice, type KnownKeys } from '@sdae/core';
import { isBiasVariable, type BundleTensor } from '@sdae/layers';

/** The optimisers: plain SGD (the tutorials'), SGD with momentum (DeepLearnToolbox's) and Adam. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

/** Every valid {@link OptimizerName}. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];

/** Options of {@link createOptimizer}. */
export interface OptimizerOptions {
  /** @default 'sgd' */
  name?: OptimizerName;
  /** The step size, > 0. @default 0.1 when the optimiser is built directly; each training loop passes its own default */
  learningRate?: number;
  /** Momentum coefficient in [0, 1) (`'momentum'` only). @default 0.5 (DeepLearnToolbox) */
  momentum?: number;
  /** Adam's first-moment decay in [0, 1). @default 0.9 */
  beta1?: number;
  /** Adam's second-moment decay in [0, 1). @default 0.999 */
  beta2?: number;
  /** Adam's denominator offset, > 0. @default 1e-8 */
  epsilon?: number;
  /**
   * L2 weight decay `lambda` >= 0: each step's gradient of a weight matrix or filter gains
   * `lambda * W` (the gradient of `lambda / 2 * sum(W^2)` added to the loss) before the update
   * rule sees it, with every optimiser (for Adam this is L2 regularisation, not AdamW's decoupled
   * decay). Biases (see `isBiasVariable` in @sdae/layers) are not decayed, as in DeepLearnToolbox's
   * `weightPenaltyL2` and the Theano tutorials' `L2_sqr`.
   * @default 0
   */
  weightDecay?: number;
}

/** The resolved settings of an optimiser. */
export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  momentum: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** What a checkpoint stores of an optimiser: its settings, step count and slot tensors. */
export interface OptimizerState {
  config: OptimizerConfig;
  step: number;
  slots: BundleTensor[];
}

const OPTIMIZER_OPTION_KEYS: KnownKeys<OptimizerOptions> = {
  name: true,
  learningRate: true,
  momentum: true,
  beta1: true,
  beta2: true,
  epsilon: true,
  weightDecay: true,
};

/**
 * The learning rate where none is given: the Theano tutorials' 0.1 (the dA, the SdA's fine-tuning,
 * logistic regression). The loops, the presets, the CLI and the bench read it from here.
 */
export const DEFAULT_LEARNING_RATE = 0.1;

/** Resolves and checks optimiser options; every default lives here. */
export function resolveOptimizerOptions(options: OptimizerOptions, caller = 'createOptimizer'): OptimizerConfig {
  requireKnownKeys(caller, 'optimizer', options, OPTIMIZER_OPTION_KEYS);
  const unit = { min: 0, max: 1, excludeMax: true };
  return {
    name: resolveChoice(caller, 'optimizer', options.name ?? 'sgd', OPTIMIZER_NAMES),
    learningRate: requireNumber(caller, 'learningRate', options.learningRate ?? DEFAULT_LEARNING_RATE, { min: 0, excludeMin: true }),
    momentum: requireNumber(caller, 'momentum', options.momentum ?? 0.5, unit),
    beta1: requireNumber(caller, 'beta1', options.beta1 ?? 0.9, unit),
    beta2: requireNumber(caller, 'beta2', options.beta2 ?? 0.999, unit),
    epsilon: requireNumber(caller, 'epsilon', options.epsilon ?? 1e-8, { min: 0, excludeMin: true }),
    weightDecay: requireNumber(caller, 'weightDecay', options.weightDecay ?? 0, { min: 0 }),
  };
}

/**
 * Updates variables from their gradients and keeps whatever state the rule needs (velocities,
 * moments) under the variables' names, so it can be checkpointed and restored exactly.
 */
export class Optimizer {
  readonly config: OptimizerConfig;
  private step = 0;
  private rate: number;
  private readonly slots = new Map<string, tf.Variable>();

  /** @throws {InvalidArgumentError} for an unknown name or a non-finite or out-of-range setting. */
  constructor(options: OptimizerOptions = {}) {
    this.config = resolveOptimizerOptions(options);
    this.rate = this.config.learningRate;
  }

  /** The learning rate of the next steps: `config.learningRate` until a schedule sets another. */
  get learningRate(): number {
    return this.rate;
  }

  /**
   * Sets the learning rate of the next steps; the training loops call it at each epoch with the
   * rate of their learning-rate schedule. It reaches the update through {@link Optimizer.advance},
   * so a compiled step takes it as an input, not as a constant.
   *
   * @throws {InvalidArgumentError} for a rate that is not a finite number > 0.
   */
  setLearningRate(rate: number): void {
    this.rate = requireNumber('Optimizer.setLearningRate', 'rate', rate, { min: 0, excludeMin: true });
  }

  /** The number of updates applied so far. */
  get steps(): number {
    return this.step;
  }

  /**
   * Applies one update to each variable that has a gradient. Disposes nothing it was given.
   *
   * @example optimizer.apply(model.variables, gradients);
   */
  apply(variables: ReadonlyMap<string, tf.Variable>, gradients: Readonly<Record<string, tf.Tensor>>): void {
    const hyperparameters = this.advance();
    tf.tidy(() => this.update(variables, gradients, hyperparameters));
  }

  /**
   * Counts one more update and returns its scalar settings: `learningRate` (the current one, see
   * {@link Optimizer.setLearningRate}), and Adam's bias-corrected `stepSize`. {@link Optimizer.apply} is `update(variables, gradients, advance())`; a compiled
   * step feeds these values as inputs instead, so each step gets its own.
   */
  advance(): Record<string, number> {
    this.step += 1;
    return this.hyperparametersAt(this.step);
  }

  /** The names of the settings {@link Optimizer.advance} returns, without counting a step. */
  get hyperparameterNames(): string[] {
    return Object.keys(this.hyperparametersAt(1));
  }

  private hyperparametersAt(step: number): Record<string, number> {
    const { name, beta1, beta2 } = this.config;
    const learningRate = this.rate;
    if (name !== 'adam') return { learningRate };
    return { learningRate, stepSize: (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step) };
  }

  /**
   * The update rule with this step's settings from {@link Optimizer.advance} as numbers or scalar
   * tensors; assigns the variables and slots. Call it inside `tf.tidy`.
   */
  update(
    variables: ReadonlyMap<string, tf.Variable>,
    gradients: Readonly<Record<string, tf.Tensor>>,
    hyperparameters: Readonly<Record<string, number | tf.Scalar>>,
  ): void {
    const { name, momentum, beta1, beta2, epsilon, weightDecay } = this.config;
    const learningRate = hyperparameters.learningRate!;
    for (const [variableName, variable] of variables) {
      const lossGradient = gradients[variableName] as tf.Tensor | undefined;
      if (lossGradient === undefined) continue;
      const gradient =
        weightDecay > 0 && !isBiasVariable(variableName) ? tf.add(lossGradient, tf.mul(variable, weightDecay)) : lossGradient;
      if (name === 'sgd') {
        variable.assign(tf.sub(variable, tf.mul(gradient, learningRate)));
      } else if (name === 'momentum') {
        const velocity = this.slot(`velocity/${variableName}`, variable);
        velocity.assign(tf.sub(tf.mul(velocity, momentum), tf.mul(gradient, learningRate)));
        variable.assign(tf.add(variable, velocity));
      } else {
        const first = this.slot(`m/${variableName}`, variable);
        const second = this.slot(`v/${variableName}`, variable);
        first.assign(tf.add(tf.mul(first, beta1), tf.mul(gradient, 1 - beta1)));
        second.assign(tf.add(tf.mul(second, beta2), tf.mul(tf.square(gradient), 1 - beta2)));
        variable.assign(tf.sub(variable, tf.div(tf.mul(first, hyperparameters.stepSize!), tf.add(tf.sqrt(second), epsilon))));
      }
    }
  }

  /**
   * The slot variables (velocities, moments) of these variables, made now when missing, by slot
   * name: the optimiser's share of a compiled step's state.
   */
  slotsFor(variables: ReadonlyMap<string, tf.Variable>): Map<string, tf.Variable> {
    const slots = new Map<string, tf.Variable>();
    const names = this.config.name === 'momentum' ? ['velocity'] : this.config.name === 'adam' ? ['m', 'v'] : [];
    for (const [variableName, variable] of variables) {
      for (const prefix of names) slots.set(`${prefix}/${variableName}`, this.slot(`${prefix}/${variableName}`, variable));
    }
    return slots;
  }

  /** The optimiser's state for a checkpoint. */
  getState(): OptimizerState {
    const slots = [...this.slots].map(([name, slot]) => ({
      name,
      shape: [...slot.shape],
      values: Float32Array.from(slot.dataSync() as Float32Array),
    }));
    return { config: { ...this.config }, step: this.step, slots };
  }

  /**
   * Continues from a state saved by {@link Optimizer.getState}; the settings must match.
   *
   * @throws {InvalidArgumentError} when the saved optimiser differs from this one.
   */
  setState(state: OptimizerState): void {
    const saved = JSON.stringify(state.config);
    if (saved !== JSON.stringify(this.config)) {
      throw new InvalidArgumentError(
        'optimizer',
        state.config,
        `Optimizer.setState: the checkpoint was written with optimizer ${saved} but this run uses ${JSON.stringify(this.config)}; ` +
          'resume with the same optimizer settings.',
      );
    }
    this.disposeSlots();
    for (const slot of state.slots) {
      const initial = tf.tensor(slot.values, slot.shape, 'float32');
      this.slots.set(slot.name, tf.variable(initial, false));
      initial.dispose();
    }
    this.step = state.step;
  }

  /** Frees the optimiser's state. */
  dispose(): void {
    this.disposeSlots();
  }

  private slot(name: string, like: tf.Variable): tf.Variable {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      this.slots.set(name, slot);
    }
    return slot;
  }

  private disposeSlots(): void {
    for (const slot of this.slots.values()) slot.dispose();
    this.slots.clear();
  }
}
