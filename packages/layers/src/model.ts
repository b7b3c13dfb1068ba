import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, SdaeError, describeValue, type Random } from '@sdae/core';
import { formatSummary, type ModelSummary, type SummaryLayer, type SummaryOptions } from './summary/model-summary';

/** The model classes that can be saved and loaded. */
export type ModelClassName = 'DenoisingAutoencoder' | 'StackedDenoisingAutoencoder' | 'ReluCnn' | 'LogisticRegression' | 'Mlp';

/** A model's configuration as plain JSON, enough to rebuild it with fresh weights. */
export type ModelConfig = { [key: string]: unknown };

/** One weight's value: a tensor, a flat float32 array in row-major order, or an entry of `getWeights()`. */
export type WeightValue = tf.Tensor | Float32Array | { shape: readonly number[]; values: Float32Array };

/**
 * Weight values by name: a plain object, or a Map such as `getWeights()` returns (so that
 * `model.setWeights(other.getWeights())` copies every weight).
 */
export type WeightValues = Record<string, WeightValue> | ReadonlyMap<string, WeightValue>;

/** A loss and its gradient with respect to each trainable variable, by variable name. */
// A type alias, not an interface, so that it is a tf.TensorContainer that tf.tidy can return.
export type LossAndGradients = {
  loss: tf.Scalar;
  /** A plain object (not a Map), so that `tf.tidy` keeps the tensors it returns. */
  gradients: Record<string, tf.Tensor>;
};

/**
 * Weights held outside a model's tfjs variables while something else trains them (a native
 * engine keeps them in its own tensors between steps). The model calls `sync` before its
 * variables are read and `reload` after they are written, so both sides stay consistent.
 */
export interface ExternalWeights {
  /** Writes the held weights into the model's variables (cheap when they are current). */
  sync(): void;
  /** Takes the weights from the model's variables again, after they were written. */
  reload(): void;
}

/** The last part of every bias's name: `b`, `layer0.b`, `bPrime`, `conv0.bias`. */
const BIAS_NAMES = new Set(['b', 'bPrime', 'bias']);

/**
 * Whether a model's variable is a bias, by the naming every model follows: a name whose last part
 * (after the last `.`) is `b`, `bPrime` or `bias`. Weight decay applies to the other variables
 * (weight matrices and filters), as in DeepLearnToolbox and the Theano tutorials.
 *
 * @example isBiasVariable('layer0.b'); // true; isBiasVariable('conv0.filter') is false
 */
export function isBiasVariable(name: string): boolean {
  return BIAS_NAMES.has(name.slice(name.lastIndexOf('.') + 1));
}

/** A bound on the weights the models built inside {@link buildWithinWeightBudget} may allocate. */
interface WeightBudget {
  remaining: number;
  /** The variables made so far, disposed when the budget is exceeded. */
  made: tf.Variable[];
}

let activeBudget: WeightBudget | undefined;

/** Thrown by a model built within a budget when its next weight would exceed it, before that weight is allocated. */
export class WeightBudgetExceeded extends SdaeError {
  constructor(
    readonly weight: string,
    readonly shape: readonly number[],
    readonly budget: number,
  ) {
    super(`the weight ${weight} [${shape.join(', ')}] would exceed the ${budget} values allowed`);
  }
}

/**
 * Builds a model (with `build`) allowing its weights `values` float32 values in all: a loader
 * passes the number of values its file holds, so that a configuration claiming more (a
 * hiddenSize of 1e6 in a 340-byte file) is refused before its weights are allocated. On refusal
 * the variables already made are disposed.
 *
 * @throws {WeightBudgetExceeded} naming the first weight that does not fit.
 */
export function buildWithinWeightBudget<T>(values: number, build: () => T): T {
  const outer = activeBudget;
  const budget: WeightBudget = { remaining: values, made: [] };
  activeBudget = budget;
  try {
    return build();
  } catch (error) {
    for (const variable of budget.made) variable.dispose();
    throw error;
  } finally {
    activeBudget = outer;
  }
}

/**
 * What every model shares: named variables (some owned, some borrowed from another model),
 * weight access, a parameter count, seeded random streams that can be saved and restored, and
 * `dispose()`. Subclasses add the forward pass and the loss.
 */
export abstract class Model<Config extends ModelConfig = ModelConfig> {
  /** The class name recorded when the model is saved. */
  abstract readonly className: ModelClassName;
  /** The resolved configuration (every default filled in). */
  protected readonly config: Config;
  private readonly variableMap = new Map<string, tf.Variable>();
  private readonly ownedNames = new Set<string>();
  private readonly auxiliaryNames = new Set<string>();
  /** The trainable variables, built on first use: training reads them every step. */
  private trainable: ReadonlyMap<string, tf.Variable> | undefined;
  private readonly randomStreams = new Map<string, Random>();
  private externalWeights: ExternalWeights | undefined;
  private disposed = false;

  protected constructor(config: Config) {
    this.config = config;
  }

  /**
   * Adds a variable the model owns (and disposes), initialised from `values()`, which is called
   * only once the shape is known to fit (see {@link buildWithinWeightBudget}). An auxiliary
   * variable is saved and loaded with the model but is not among the {@link Model.variables}
   * its own loss trains (an SdA keeps its dAs' decoder biases this way).
   */
  protected addVariable(
    name: string,
    shape: number[],
    values: () => Float32Array,
    role: 'trainable' | 'auxiliary' = 'trainable',
  ): tf.Variable {
    const budget = activeBudget;
    if (budget !== undefined) {
      const size = shape.reduce((product, dimension) => product * dimension, 1);
      if (size > budget.remaining) throw new WeightBudgetExceeded(name, shape, budget.remaining);
      budget.remaining -= size;
    }
    const initial = tf.tensor(values(), shape, 'float32');
    const variable = tf.variable(initial, true);
    initial.dispose();
    budget?.made.push(variable);
    this.variableMap.set(name, variable);
    this.trainable = undefined;
    this.ownedNames.add(name);
    if (role === 'auxiliary') this.auxiliaryNames.add(name);
    return variable;
  }

  /** Adds a variable owned by another model (a dA view borrowing its SdA layer's weights). */
  protected borrowVariable(name: string, variable: tf.Variable): tf.Variable {
    this.variableMap.set(name, variable);
    this.trainable = undefined;
    return variable;
  }

  /** Registers a seeded random stream whose state checkpoints save and restore. */
  protected addRandomStream(name: string, random: Random): Random {
    this.randomStreams.set(name, random);
    return random;
  }

  /** The resolved configuration as a fresh JSON object; `new Class(getConfig())` rebuilds the model. */
  getConfig(): Config {
    return JSON.parse(JSON.stringify(this.config)) as Config;
  }

  /**
   * Lets a trainer hold this model's weights elsewhere until it is unbound (`undefined`): reads
   * of the variables and weights sync them first, writes reload them.
   */
  bindExternalWeights(holder: ExternalWeights | undefined): void {
    this.externalWeights = holder;
  }

  /** The variables this model's loss trains, by name, in a fixed order. */
  get variables(): ReadonlyMap<string, tf.Variable> {
    this.assertUsable('variables');
    this.externalWeights?.sync();
    this.trainable ??= new Map([...this.variableMap].filter(([name]) => !this.auxiliaryNames.has(name)));
    return this.trainable;
  }

  /** One variable by name; throws naming the valid names when there is none. */
  getVariable(name: string): tf.Variable {
    this.assertUsable('getVariable');
    this.externalWeights?.sync();
    const variable = this.variableMap.get(name);
    if (variable === undefined) {
      throw new InvalidArgumentError(
        'name',
        name,
        `${this.className}.getVariable: no variable named "${name}"; this model has ${[...this.variableMap.keys()].join(', ')}.`,
      );
    }
    return variable;
  }

  /** Copies of every weight (auxiliary ones included) as flat float32 arrays, by name. */
  getWeights(): Map<string, { shape: number[]; values: Float32Array }> {
    this.assertUsable('getWeights');
    this.externalWeights?.sync();
    const weights = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, variable] of this.variableMap) {
      weights.set(name, { shape: [...variable.shape], values: Float32Array.from(variable.dataSync() as Float32Array) });
    }
    return weights;
  }

  /**
   * {@link getWeights} without blocking the page: every weight is read with `await data()`. Use it
   * on GPU backends, where a synchronous read stalls the GPU's queue, and where WebGPU on a
   * software adapter cannot read synchronously at all (@sdae/backend's SynchronousReadError).
   */
  async readWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    this.assertUsable('readWeights');
    this.externalWeights?.sync();
    const variables = [...this.variableMap];
    const values = await Promise.all(variables.map(([, variable]) => variable.data()));
    return new Map(
      variables.map(([name, variable], index) => [
        name,
        { shape: [...variable.shape], values: Float32Array.from(values[index] as Float32Array) },
      ]),
    );
  }

  /**
   * Overwrites some or all weights, given by name as a plain object or a Map (another model's
   * `getWeights()` copies them all). Every value is checked against the variable's shape before
   * any is written, so a wrong one leaves the model unchanged.
   *
   * @throws {InvalidArgumentError} for weights that are neither a plain object nor a Map, an
   *   unknown name, or a value that is not a tensor, a Float32Array or `{ shape, values }`, or
   *   has the wrong shape or size, or holds a value that is not finite (NaN, an infinity).
   */
  setWeights(weights: WeightValues): void {
    this.assertUsable('setWeights');
    const method = `${this.className}.setWeights`;
    const isMap = weights instanceof Map;
    if (!isMap && (typeof weights !== 'object' || weights === null || Object.getPrototypeOf(weights) !== Object.prototype)) {
      throw new InvalidArgumentError(
        'weights',
        weights,
        `${method}: weights must be a plain object or a Map of values by weight name (e.g. another model's getWeights()); ` +
          `received ${describeValue(weights)}.`,
      );
    }
    const entries: [string, unknown][] = isMap ? [...(weights as ReadonlyMap<string, unknown>)] : Object.entries(weights);
    const updates: [tf.Variable, tf.Tensor | Float32Array][] = [];
    for (const [name, given] of entries) {
      const variable = this.getVariable(name);
      const value = weightValue(method, name, given);
      const size = value instanceof tf.Tensor ? value.size : value.length;
      const shape = value instanceof tf.Tensor ? value.shape : isShaped(given) ? given.shape : undefined;
      const shapeMatches = size === variable.size && (shape === undefined || tf.util.arraysEqual([...shape], variable.shape));
      if (!shapeMatches) {
        const received = shape === undefined ? `${size} values` : `shape [${shape.join(', ')}]`;
        throw new InvalidArgumentError(
          name,
          given,
          `${method}: ${name} must have shape [${variable.shape.join(', ')}] ` + `(${variable.size} values); received ${received}.`,
        );
      }
      if (value instanceof Float32Array) {
        // Every load path (saved models, checkpoints, imported Keras files) ends here.
        const index = value.findIndex((entry) => !Number.isFinite(entry));
        if (index >= 0) {
          throw new InvalidArgumentError(
            name,
            given,
            `${method}: ${name} must hold finite numbers; received ${value[index]} at index ${index}. Load weights saved before ` +
              'training diverged, or train again with a lower learning rate.',
          );
        }
      }
      updates.push([variable, value]);
    }
    for (const [variable, value] of updates) {
      tf.tidy(() =>
        variable.assign(value instanceof tf.Tensor ? tf.reshape(value, variable.shape) : tf.tensor(value, variable.shape, 'float32')),
      );
    }
    this.externalWeights?.reload();
  }

  /** The number of scalars the model's loss trains (borrowed variables included). */
  parameterCount(): number {
    let count = 0;
    for (const variable of this.variables.values()) count += variable.size;
    return count;
  }

  /** The layers {@link Model.summary} lists, in forward order, each naming the variables it holds. */
  protected abstract summaryLayers(): SummaryLayer[];

  /** Lines under a summary's totals that explain them; none by default. */
  protected summaryNotes(): string[] {
    return [];
  }

  /**
   * The model's layers, output shapes and parameter counts as data (what {@link Model.summary}
   * prints): trainable parameters are {@link Model.parameterCount}, the rest are weights saved
   * with the model that its own loss does not train.
   */
  layerSummary(): ModelSummary {
    this.assertUsable('layerSummary');
    const weights = this.getWeights();
    const rows = this.summaryLayers().map((layer) => ({
      ...layer,
      parameters: layer.weights.reduce((sum, name) => sum + weights.get(name)!.values.length, 0),
    }));
    let total = 0;
    for (const { values } of weights.values()) total += values.length;
    const trainableParameters = this.parameterCount();
    return {
      name: this.className,
      rows,
      totalParameters: total,
      trainableParameters,
      nonTrainableParameters: total - trainableParameters,
      notes: this.summaryNotes(),
    };
  }

  /**
   * Prints the model as Keras' `model.summary()` does: one row per layer (name and type, output
   * shape, parameters), then the total, trainable and non-trainable parameter counts. Returns the
   * text.
   *
   * @example
   * mlp.summary(); // Model: "Mlp" ... Total params: 9,550
   * const text = cnn.summary({ printFn: null });
   */
  summary(options: SummaryOptions = {}): string {
    const lines = formatSummary(this.layerSummary(), options.lineLength);
    const print = options.printFn === undefined ? (line: string) => console.log(line) : options.printFn;
    if (print !== null) for (const line of lines) print(line);
    return lines.join('\n');
  }

  /** The state of each random stream (corruption noise), to save in a checkpoint. */
  getRandomStates(): Record<string, number[]> {
    const states: Record<string, number[]> = {};
    for (const [name, random] of this.randomStreams) states[name] = random.getState();
    return states;
  }

  /** Restores random streams saved by {@link Model.getRandomStates}; unknown names are refused. */
  setRandomStates(states: Record<string, readonly number[]>): void {
    for (const [name, state] of Object.entries(states)) {
      const random = this.randomStreams.get(name);
      if (random === undefined) {
        throw new InvalidArgumentError(
          'states',
          name,
          `${this.className}.setRandomStates: no random stream named "${name}"; ` +
            `this model has ${[...this.randomStreams.keys()].join(', ') || 'none'}.`,
        );
      }
      random.setState(state);
    }
  }

  /** True once {@link Model.dispose} has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees the variables this model owns (borrowed ones stay with their owner). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    for (const name of this.ownedNames) this.variableMap.get(name)?.dispose();
    this.disposed = true;
  }

  /**
   * Evaluates `lossFunction` and its gradient with respect to every variable by automatic
   * differentiation; the gradients are keyed by the model's variable names.
   */
  protected autodiff(lossFunction: () => tf.Scalar): LossAndGradients {
    const trainable = this.variables;
    const names = [...trainable.keys()];
    const list = names.map((name) => trainable.get(name) as tf.Variable);
    const { value, grads } = tf.variableGrads(lossFunction, list);
    const gradients: Record<string, tf.Tensor> = {};
    names.forEach((name, index) => {
      gradients[name] = grads[list[index].name];
    });
    return { loss: value, gradients };
  }

  /** Throws a clear error when the model has been disposed. */
  protected assertUsable(method: string): void {
    if (this.disposed) {
      throw new SdaeError(`${this.className}.${method}: the model has been disposed; build or load a new one.`);
    }
  }
}

function isShaped(value: unknown): value is { shape: readonly number[]; values: Float32Array } {
  return typeof value === 'object' && value !== null && 'values' in value && 'shape' in value && Array.isArray(value.shape);
}

/** The tensor or array of one entry given to setWeights. */
function weightValue(method: string, name: string, value: unknown): tf.Tensor | Float32Array {
  if (value instanceof tf.Tensor || value instanceof Float32Array) return value;
  if (isShaped(value) && value.values instanceof Float32Array) return value.values;
  throw new InvalidArgumentError(
    name,
    value,
    `${method}: ${name} must be a tensor, a Float32Array or { shape, values } (an entry of getWeights()); received ${describeValue(value)}.`,
  );
}
