import {
  InvalidArgumentError,
  describeValue,
  requireKnownKeys,
  requireNumber,
  requirePositiveInteger,
  resolveChoice,
  type KnownKeys,
} from '@sdae/core';

/**
 * How the learning rate changes from epoch to epoch, as plain data (so checkpoints record it and a
 * resume continues on the same curve). With base rate `r` and epoch `e` counted from 0:
 * - `{ kind: 'constant' }`: `r` every epoch (the tutorials');
 * - `{ kind: 'step', epochs: k, factor: f }`: `r * f^floor(e / k)`, multiplied by `f` every `k` epochs;
 * - `{ kind: 'exponential', gamma: g }`: `r * g^e`;
 * - `{ kind: 'cosine' }`: `r * (1 + cos(pi * e / E)) / 2` over the run's `E` epochs, from `r` towards 0.
 *
 * Sampled training ({@link trainSampled}) has no epochs: there each iteration counts as one.
 */
export type LearningRateSchedule =
  { kind: 'constant' } | { kind: 'step'; epochs: number; factor: number } | { kind: 'exponential'; gamma: number } | { kind: 'cosine' };

/** The kinds of {@link LearningRateSchedule}. */
export type LearningRateScheduleKind = LearningRateSchedule['kind'];

/** Every valid {@link LearningRateScheduleKind}. */
export const LEARNING_RATE_SCHEDULE_KINDS: readonly LearningRateScheduleKind[] = ['constant', 'step', 'exponential', 'cosine'];

const FIELDS: { [K in LearningRateScheduleKind]: KnownKeys<Extract<LearningRateSchedule, { kind: K }>> } = {
  constant: { kind: true },
  step: { kind: true, epochs: true, factor: true },
  exponential: { kind: true, gamma: true },
  cosine: { kind: true },
};

/**
 * Checks a schedule given as data and returns a fresh copy with only its fields.
 *
 * @param argument the option's name in errors. @default 'learningRateSchedule'
 * @throws {InvalidArgumentError} for another type, an unknown kind or field, a step of fewer than
 *   one epoch, or a factor or gamma that is not a number > 0.
 * @example resolveLearningRateSchedule('fitClassifier', { kind: 'step', epochs: 3, factor: 0.1 });
 */
export function resolveLearningRateSchedule(caller: string, schedule: unknown, argument = 'learningRateSchedule'): LearningRateSchedule {
  if (typeof schedule !== 'object' || schedule === null || Array.isArray(schedule)) {
    throw new InvalidArgumentError(
      argument,
      schedule,
      `${caller}: ${argument} must be an object such as { kind: 'step', epochs: 3, factor: 0.1 }; received ${describeValue(schedule)}. ` +
        'To read the command-line form (step:3:0.1), use parseLearningRateSchedule.',
    );
  }
  const kind = resolveChoice(caller, `${argument}.kind`, (schedule as { kind?: unknown }).kind, LEARNING_RATE_SCHEDULE_KINDS);
  requireKnownKeys(caller, argument, schedule as Record<string, unknown>, FIELDS[kind]);
  const fields = schedule as Record<string, unknown>;
  const positive = { min: 0, excludeMin: true };
  if (kind === 'step') {
    return {
      kind,
      epochs: requirePositiveInteger(caller, `${argument}.epochs`, fields.epochs),
      factor: requireNumber(caller, `${argument}.factor`, fields.factor, positive),
    };
  }
  if (kind === 'exponential') return { kind, gamma: requireNumber(caller, `${argument}.gamma`, fields.gamma, positive) };
  return { kind };
}

/**
 * Reads a schedule in its command-line form: `constant`, `step:EPOCHS:FACTOR`,
 * `exponential:GAMMA` or `cosine`.
 *
 * @param argument names the input in errors (the CLI passes `--lr-schedule`). @default 'learningRateSchedule'
 * @throws {InvalidArgumentError} naming `argument`, what was expected and what was received.
 * @example parseLearningRateSchedule('step:3:0.1'); // { kind: 'step', epochs: 3, factor: 0.1 }
 */
export function parseLearningRateSchedule(text: string, argument = 'learningRateSchedule'): LearningRateSchedule {
  const [kind, ...parameters] = text.trim().split(':');
  const forms = 'constant, step:EPOCHS:FACTOR (e.g. step:3:0.1), exponential:GAMMA (e.g. exponential:0.95) or cosine';
  const fail = (reason: string): never => {
    throw new InvalidArgumentError(argument, text, `${argument} must be ${forms}; ${reason} in '${text}'.`);
  };
  const number = (part: string | undefined, name: string, check: (value: number) => boolean, expected: string): number => {
    const value = part !== undefined && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(part) ? Number(part) : Number.NaN;
    if (!check(value)) fail(`${name} must be ${expected}, received '${part ?? ''}'`);
    return value;
  };
  const arity: Record<string, number> = { constant: 0, cosine: 0, step: 2, exponential: 1 };
  if (kind === undefined || !(kind in arity)) return fail(`unknown kind '${kind ?? ''}'`);
  if (parameters.length !== arity[kind])
    fail(`${kind} takes ${arity[kind]} parameter${arity[kind] === 1 ? '' : 's'}, received ${parameters.length}`);
  const positive = (value: number) => Number.isFinite(value) && value > 0;
  if (kind === 'step') {
    return {
      kind,
      epochs: number(parameters[0], 'EPOCHS', (value) => Number.isSafeInteger(value) && value >= 1, 'a whole number >= 1'),
      factor: number(parameters[1], 'FACTOR', positive, 'a number > 0'),
    };
  }
  if (kind === 'exponential') return { kind, gamma: number(parameters[0], 'GAMMA', positive, 'a number > 0') };
  return { kind: kind as 'constant' | 'cosine' };
}

/** The command-line form of a schedule, as {@link parseLearningRateSchedule} reads it: `step:3:0.1`. */
export function formatLearningRateSchedule(schedule: LearningRateSchedule): string {
  if (schedule.kind === 'step') return `step:${schedule.epochs}:${schedule.factor}`;
  if (schedule.kind === 'exponential') return `exponential:${schedule.gamma}`;
  return schedule.kind;
}

/**
 * The learning rate of epoch `epoch` (from 0) of a run of `epochs` epochs under `schedule`, from
 * the base rate `learningRate`; see {@link LearningRateSchedule} for the formulas.
 *
 * @example scheduledLearningRate({ kind: 'step', epochs: 2, factor: 0.5 }, 0.1, 3, 10); // 0.05
 */
export function scheduledLearningRate(schedule: LearningRateSchedule, learningRate: number, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return learningRate;
    case 'step':
      return learningRate * schedule.factor ** Math.floor(epoch / schedule.epochs);
    case 'exponential':
      return learningRate * schedule.gamma ** epoch;
    case 'cosine':
      return (learningRate * (1 + Math.cos((Math.PI * epoch) / Math.max(1, epochs)))) / 2;
  }
}

/**
 * A schedule as a loop records it in checkpoints: a cosine schedule with the epochs it spans, since
 * more epochs give another curve (so a resume with more epochs is refused, not bent onto a new curve).
 */
export function scheduleSetting(schedule: LearningRateSchedule, epochs: number): Record<string, string | number> {
  return schedule.kind === 'cosine' ? { ...schedule, epochs } : { ...schedule };
}
