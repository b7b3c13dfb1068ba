import { InvalidArgumentError } from '@sdae/core';
import { ModelFormatError, decodeBundle, encodeBundle, modelToBundle, type BundleTensor, type Model } from '@sdae/layers';
import type { EarlyStoppingState } from '../loops/early-stopping';
import { formatLearningRateSchedule, resolveLearningRateSchedule } from '../optim/learning-rate-schedule';
import type { EpochLog } from '../events';
import type { Optimizer, OptimizerState } from '../optim/optimizers';

/** The loops that write checkpoints. */
const LOOPS = ['autoencoder', 'pretrain', 'classifier', 'sampled'] as const;

/** Where a loop stands between two minibatches: enough to continue exactly. */
export interface LoopState {
  /** The loop that wrote the checkpoint. */
  loop: (typeof LOOPS)[number];
  /** The layer being pretrained (`'pretrain'`). */
  layer?: number;
  /** The next epoch to run (the next iteration for `'sampled'`). */
  nextEpoch: number;
  /** Minibatch iterations completed in the current stage. */
  iterations: number;
  history: EpochLog[];
  earlyStopping?: EarlyStoppingState;
  testErrorAtBest?: number;
  /** Minibatches of `nextEpoch` already run: set when the checkpoint was written mid-epoch (on abort). */
  batchInEpoch?: number;
  /** The sum of those minibatches' costs, so the epoch's mean cost comes out as in an uninterrupted run. */
  epochCostSum?: number;
  /** The wall time those minibatches took, in seconds, so the epoch's log times the whole epoch across the runs. */
  epochSeconds?: number;
}

/** A JSON value, as settings are recorded. */
export type SettingValue = string | number | boolean | null | SettingValue[] | { [key: string]: SettingValue };

/**
 * The settings that shape a run, recorded in each checkpoint and compared on resume: the loop's
 * own (batch size, order, seed, optimiser, engine, epochs, a fingerprint of the data) and the
 * caller's (`settings` option: the CLI's flags).
 */
export interface CheckpointSettings {
  loop: Record<string, SettingValue>;
  caller: Record<string, SettingValue>;
}

/** A decoded checkpoint. */
export interface Checkpoint {
  /** The file it was read from (a path, or `'<checkpoint>'` for bytes of unknown origin), named in errors. */
  file: string;
  className: string;
  config: unknown;
  randomStates: Record<string, number[]>;
  weights: BundleTensor[];
  optimizer: OptimizerState;
  state: LoopState;
  /** The weights of the best validation so far (supervised loops). */
  bestWeights: BundleTensor[];
  settings: CheckpointSettings;
}

const CHECKPOINT_FORMAT = 'sdae-checkpoint';

/** Settings that may grow on resume: a longer run continues training. */
const GROWABLE_SETTINGS = new Set(['epochs', 'iterations']);

/** Serialises model, optimiser, random streams, loop state and settings into one buffer. */
export function encodeCheckpoint(
  model: Model,
  optimizer: Optimizer,
  state: LoopState,
  bestWeights: BundleTensor[] = [],
  settings: CheckpointSettings = { loop: {}, caller: {} },
): Uint8Array {
  const { meta, tensors } = modelToBundle(model);
  const optimizerState = optimizer.getState();
  return encodeBundle({
    meta: {
      format: CHECKPOINT_FORMAT,
      model: meta,
      optimizer: { config: optimizerState.config, step: optimizerState.step },
      state,
      settings,
    },
    tensors: [
      ...tensors.map((tensor) => ({ ...tensor, name: `model/${tensor.name}` })),
      ...optimizerState.slots.map((tensor) => ({ ...tensor, name: `optimizer/${tensor.name}` })),
      ...bestWeights.map((tensor) => ({ ...tensor, name: `best/${tensor.name}` })),
    ],
  });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isNumberOrNull = (value: unknown) => value === null || typeof value === 'number';

/**
 * The checks of a checkpoint's metadata: each names its field and what it must hold, so that a
 * malformed file is refused with the field's name instead of failing later as a TypeError.
 */
function checkMeta(meta: Record<string, unknown>, file: string): void {
  const fail = (field: string, expected: string, value: unknown): never => {
    const found = value === undefined ? 'nothing' : (JSON.stringify(value)?.slice(0, 80) ?? String(value));
    throw new ModelFormatError(
      { file, field, expected, found },
      `${file}: ${field} is wrong: expected ${expected}, found ${found}. The checkpoint is corrupt or was edited; ` +
        'resume from another checkpoint or start the run afresh.',
    );
  };
  const { model, optimizer, state, settings } = meta;
  if (!isObject(model)) fail('model', 'an object', model);
  const { className, config, randomStates } = model as Record<string, unknown>;
  if (typeof className !== 'string') fail('model.className', 'a string', className);
  if (!isObject(config)) fail('model.config', 'an object', config);
  if (!isObject(randomStates) || !Object.values(randomStates).every((words) => Array.isArray(words) && words.every(Number.isInteger))) {
    fail('model.randomStates', 'an object of integer arrays', randomStates);
  }
  if (!isObject(optimizer)) fail('optimizer', 'an object', optimizer);
  const optimizerMeta = optimizer as Record<string, unknown>;
  if (!isObject(optimizerMeta.config)) fail('optimizer.config', 'an object', optimizerMeta.config);
  if (!isCount(optimizerMeta.step)) fail('optimizer.step', 'a whole number >= 0', optimizerMeta.step);
  if (!isObject(state)) fail('state', 'an object', state);
  const loopState = state as Record<string, unknown>;
  if (!LOOPS.includes(loopState.loop as LoopState['loop']))
    fail('state.loop', LOOPS.map((loop) => `"${loop}"`).join(' | '), loopState.loop);
  if (loopState.loop === 'pretrain' ? !isCount(loopState.layer) : loopState.layer !== undefined) {
    fail('state.layer', loopState.loop === 'pretrain' ? 'a whole number >= 0' : 'nothing', loopState.layer);
  }
  for (const field of ['nextEpoch', 'iterations'] as const) {
    if (!isCount(loopState[field])) fail(`state.${field}`, 'a whole number >= 0', loopState[field]);
  }
  const history = loopState.history;
  if (!Array.isArray(history)) fail('state.history', 'an array of epoch logs', history);
  (history as unknown[]).forEach((log, index) => {
    if (!isObject(log) || typeof log.stage !== 'string' || !isCount(log.epoch) || !isCount(log.iterations) || !isNumberOrNull(log.cost)) {
      fail(`state.history[${index}]`, 'an epoch log { stage, epoch, iterations, cost }', log);
    }
  });
  const stopping = loopState.earlyStopping;
  if (
    stopping !== undefined &&
    (!isObject(stopping) ||
      typeof stopping.patience !== 'number' ||
      !isNumberOrNull(stopping.bestError) ||
      typeof stopping.bestIteration !== 'number')
  ) {
    fail('state.earlyStopping', 'an object { patience, bestError, bestIteration }', stopping);
  }
  if (loopState.testErrorAtBest !== undefined && typeof loopState.testErrorAtBest !== 'number') {
    fail('state.testErrorAtBest', 'a number', loopState.testErrorAtBest);
  }
  if (loopState.batchInEpoch !== undefined && !isCount(loopState.batchInEpoch)) {
    fail('state.batchInEpoch', 'a whole number >= 0', loopState.batchInEpoch);
  }
  if (
    (loopState.batchInEpoch === undefined) !== (loopState.epochCostSum === undefined) ||
    !isNumberOrNull(loopState.epochCostSum ?? null)
  ) {
    fail('state.epochCostSum', 'a number exactly when state.batchInEpoch is set', loopState.epochCostSum);
  }
  if (loopState.epochSeconds !== undefined && (typeof loopState.epochSeconds !== 'number' || !(loopState.epochSeconds >= 0))) {
    fail('state.epochSeconds', 'a number of seconds >= 0', loopState.epochSeconds);
  }
  if (settings === undefined) {
    throw new ModelFormatError(
      { file, field: 'settings', expected: 'the settings of the run', found: 'nothing' },
      `${file}: the checkpoint does not record the settings of its run (it was written by an older sdae), so a resume cannot be ` +
        'checked against them. Start the run afresh; its checkpoints will record them.',
    );
  }
  if (!isObject(settings) || !isObject(settings.loop) || !isObject(settings.caller))
    fail('settings', 'an object { loop, caller }', settings);
}

/**
 * Reads a checkpoint written by a training loop, checking the type of every field of its state.
 *
 * @param file the checkpoint's path, named in errors.
 * @throws {ModelFormatError} for a truncated, corrupt, malformed or non-checkpoint buffer.
 */
export function decodeCheckpoint(bytes: Uint8Array, file = '<checkpoint>'): Checkpoint {
  const { meta, tensors, verified } = decodeBundle(bytes, file);
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new ModelFormatError(
      { file, field: 'format', expected: `"${CHECKPOINT_FORMAT}"`, found: JSON.stringify(meta.format) ?? 'nothing' },
      `${file}: this is not a training checkpoint (format ${JSON.stringify(meta.format)}). Pass a file written by a training loop's checkpoint option.`,
    );
  }
  if (verified === false) {
    throw new ModelFormatError(
      { file, field: 'format version', expected: 'a checkpoint with checksums (version 2)', found: 'version 1' },
      `${file}: the checkpoint was written by an older sdae, without checksums or the settings of its run, so neither its ` +
        'weights nor a resume can be checked. Start the run afresh; its checkpoints will carry both.',
    );
  }
  checkMeta(meta, file);
  const model = meta.model as { className: string; config: unknown; randomStates: Record<string, number[]> };
  const optimizer = meta.optimizer as { config: OptimizerState['config']; step: number };
  const unknown = tensors.find((tensor) => !/^(model|optimizer|best)\//.test(tensor.name));
  if (unknown !== undefined) {
    throw new ModelFormatError(
      { file, field: `tensor ${unknown.name}`, expected: 'a name starting model/, optimizer/ or best/', found: unknown.name },
      `${file}: tensor ${unknown.name} belongs to no part of a checkpoint (model/, optimizer/, best/). The checkpoint is corrupt; ` +
        'resume from another checkpoint or start the run afresh.',
    );
  }
  const withPrefix = (prefix: string) =>
    tensors.filter((tensor) => tensor.name.startsWith(prefix)).map((tensor) => ({ ...tensor, name: tensor.name.slice(prefix.length) }));
  return {
    file,
    className: model.className,
    config: model.config,
    randomStates: model.randomStates,
    weights: withPrefix('model/'),
    optimizer: { config: optimizer.config, step: optimizer.step, slots: withPrefix('optimizer/') },
    state: meta.state as LoopState,
    bestWeights: withPrefix('best/'),
    settings: meta.settings as CheckpointSettings,
  };
}

/** A checkpoint's bytes, or one already decoded (which names its file in errors), as the `resume` option takes it. */
export function toCheckpoint(resume: Uint8Array | Checkpoint): Checkpoint {
  return resume instanceof Uint8Array ? decodeCheckpoint(resume) : resume;
}

/** A setting's value as a difference prints it: JSON, a learning-rate schedule in its command-line form (`step:3:0.1`, `cosine over 5 epochs`). */
function formatSetting(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'kind' in value) {
    const { epochs, ...schedule } = value as { kind?: unknown; epochs?: unknown };
    try {
      // A cosine schedule records the run's length when the loop knows it; the CLI's flag does not.
      if (schedule.kind === 'cosine' && typeof epochs === 'number')
        return `${formatLearningRateSchedule(resolveLearningRateSchedule('resume', schedule))} over ${epochs} epochs`;
      if (schedule.kind === 'cosine') return formatLearningRateSchedule(resolveLearningRateSchedule('resume', schedule));
      return formatLearningRateSchedule(resolveLearningRateSchedule('resume', value));
    } catch {
      // Not a schedule this version reads: shown as it is.
    }
  }
  return JSON.stringify(value ?? null);
}

/**
 * Each setting that differs between a checkpoint's run and this one, as "name: X in the
 * checkpoint, Y now" (a learning-rate schedule in its command-line form). `epochs` and `iterations` may grow (a longer run continues training).
 *
 * @param describe how a setting's name is printed (the CLI prints flags).
 */
export function settingsDifferences(
  saved: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
  describe: (name: string) => string = (name) => name,
): string[] {
  const differences: string[] = [];
  for (const name of new Set([...Object.keys(saved), ...Object.keys(current)])) {
    if (JSON.stringify(saved[name] ?? null) === JSON.stringify(current[name] ?? null)) continue;
    // A run may continue on another device (the caller says so): the same steps, other last bits.
    if (name === 'device') continue;
    const [before, now] = [saved[name], current[name]].map(formatSetting);
    if (
      GROWABLE_SETTINGS.has(name) &&
      typeof saved[name] === 'number' &&
      typeof current[name] === 'number' &&
      current[name] > saved[name]
    ) {
      continue;
    }
    differences.push(`${describe(name)} ${before} in the checkpoint, ${now} now`);
  }
  return differences;
}

/** What {@link restoreCheckpoint} checks a checkpoint against, besides the model and optimiser. */
export interface ResumeExpectations {
  /** The loop resuming it. */
  loop: LoopState['loop'];
  /** This run's settings, compared with those the checkpoint recorded. */
  settings?: CheckpointSettings;
  /** The variables the optimiser's slots belong to (the trained dA's when pretraining). @default the model's variables */
  trained?: ReadonlyMap<string, { shape: readonly number[] }>;
}

function tensorMismatch(checkpoint: Checkpoint, part: string, name: string, expected: string, found: string): ModelFormatError {
  return new ModelFormatError(
    { file: checkpoint.file, field: `tensor ${part}${name}`, expected, found },
    `${checkpoint.file}: tensor ${part}${name} is wrong: expected ${expected}, found ${found}. The checkpoint is corrupt or belongs ` +
      'to another model; resume from another checkpoint or start the run afresh.',
  );
}

/** Checks that `tensors` are exactly `expected`, name by name and shape by shape, and hold only finite values. */
function checkTensors(
  checkpoint: Checkpoint,
  part: string,
  tensors: readonly BundleTensor[],
  expected: ReadonlyMap<string, { shape: readonly number[] }>,
): void {
  const received = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  for (const [name, { shape }] of expected) {
    const tensor = received.get(name);
    if (tensor === undefined) throw tensorMismatch(checkpoint, part, name, `shape [${shape.join(', ')}]`, 'no such tensor');
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw tensorMismatch(checkpoint, part, name, `shape [${shape.join(', ')}]`, `shape [${tensor.shape.join(', ')}]`);
    }
  }
  for (const tensor of tensors) {
    if (!expected.has(tensor.name)) {
      throw tensorMismatch(checkpoint, part, tensor.name, `one of ${[...expected.keys()].join(', ') || 'none'}`, 'an extra tensor');
    }
    const bad = tensor.values.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      throw new ModelFormatError(
        { file: checkpoint.file, field: `tensor ${part}${tensor.name}`, expected: 'finite values', found: String(tensor.values[bad]) },
        `${checkpoint.file}: tensor ${part}${tensor.name} holds ${tensor.values[bad]} at index ${bad}: a checkpoint holds only finite ` +
          'values, so this one is corrupt. Resume from another checkpoint or start the run afresh.',
      );
    }
  }
}

/**
 * Puts a checkpoint's weights, random streams and optimiser state into `model` and `optimizer`,
 * after checking it was written for the same model, configuration, loop and settings, and that
 * every tensor has the name and shape the model expects. Nothing is changed when a check fails.
 *
 * @throws {InvalidArgumentError} naming each setting that differs (argument `resume`).
 * @throws {ModelFormatError} naming the checkpoint's file and the tensor or field that is wrong.
 */
export function restoreCheckpoint(checkpoint: Checkpoint, model: Model, optimizer: Optimizer, expect: ResumeExpectations): LoopState {
  const { file, state } = checkpoint;
  const config = JSON.stringify(model.getConfig());
  if (checkpoint.className !== model.className || JSON.stringify(checkpoint.config) !== config) {
    throw new InvalidArgumentError(
      'resume',
      checkpoint.className,
      `resume: ${file} holds a ${checkpoint.className} ${JSON.stringify(checkpoint.config)}, but the model to train is a ` +
        `${model.className} ${config}. Build the model with the checkpoint's configuration (or load it) before resuming.`,
    );
  }
  if (state.loop !== expect.loop) {
    throw new InvalidArgumentError(
      'resume',
      state.loop,
      `resume: ${file} was written by the ${state.loop} loop; resume it with that loop, not the ${expect.loop} loop.`,
    );
  }
  if (expect.settings !== undefined) {
    const differences = [
      ...settingsDifferences(checkpoint.settings.caller, expect.settings.caller),
      ...settingsDifferences(checkpoint.settings.loop, expect.settings.loop),
    ];
    if (differences.length > 0) {
      throw new InvalidArgumentError(
        'resume',
        differences,
        `resume: ${file} was written by a run with other settings: ${differences.join('; ')}. Resume with the checkpoint's ` +
          'settings, or start afresh without resuming.',
      );
    }
  }
  const weights = model.getWeights();
  checkTensors(checkpoint, 'model/', checkpoint.weights, weights);
  if (checkpoint.bestWeights.length > 0) checkTensors(checkpoint, 'best/', checkpoint.bestWeights, weights);
  const trained = expect.trained ?? model.variables;
  const prefixes = { sgd: [], momentum: ['velocity'], adam: ['m', 'v'] }[optimizer.config.name];
  const slots = new Map<string, { shape: readonly number[] }>();
  // A slot is made on the first update of its variable (or when a native engine starts), so a checkpoint of step 0 may have none.
  if (checkpoint.optimizer.step > 0 || checkpoint.optimizer.slots.length > 0)
    for (const [name, { shape }] of trained) for (const prefix of prefixes) slots.set(`${prefix}/${name}`, { shape });
  checkTensors(checkpoint, 'optimizer/', checkpoint.optimizer.slots, slots);
  const streams = model.getRandomStates();
  const savedStreams = Object.keys(checkpoint.randomStates).sort().join(', ');
  if (savedStreams !== Object.keys(streams).sort().join(', ')) {
    throw new ModelFormatError(
      { file, field: 'model.randomStates', expected: Object.keys(streams).join(', '), found: savedStreams || 'none' },
      `${file}: model.randomStates names the streams ${savedStreams || 'none'}, but the model has ${Object.keys(streams).join(', ') || 'none'}. ` +
        'The checkpoint is corrupt; resume from another checkpoint or start the run afresh.',
    );
  }
  try {
    model.setRandomStates(checkpoint.randomStates);
  } catch (error) {
    model.setRandomStates(streams);
    if (!InvalidArgumentError.isInstance(error)) throw error;
    throw new ModelFormatError(
      { file, field: 'model.randomStates', expected: 'states returned by getRandomStates', found: JSON.stringify(checkpoint.randomStates) },
      `${file}: model.randomStates is wrong: ${error.message} The checkpoint is corrupt; resume from another checkpoint or start afresh.`,
    );
  }
  try {
    optimizer.setState(checkpoint.optimizer);
  } catch (error) {
    model.setRandomStates(streams);
    throw error;
  }
  model.setWeights(Object.fromEntries(checkpoint.weights.map((tensor) => [tensor.name, tensor.values])));
  return { ...state, history: [...state.history] };
}
