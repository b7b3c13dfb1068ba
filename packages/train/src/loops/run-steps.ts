import { epochBatches, type Batch, type ImageSet } from '@sdae/datasets';
import type { Model } from '@sdae/layers';
import type { LoopState } from '../checkpoint/checkpoint';
import type { TrainingEvent } from '../events';
import type { ResolvedCommonOptions } from './loop-options';
import { eventLoopYielder, snapshotWeights, type StepContext } from './loop-step';
import type { StepBatch } from '../engine/step-batch';
import type { StepOutcome, StepRunner } from '../engine/step-engine';

// The step machinery every training loop shares: submit steps to the engine, drain the ones it
// completed into events, stop on an abort (after the submitted steps complete, so the checkpoint
// holds the state after the last of them) and yield to the event loop. Each loop keeps only its
// policy: what the steps are, what a completed step means, when to stop early.

/** One step a loop submits: its minibatch and the context its update runs in. */
export interface PlannedStep {
  batch: StepBatch;
  context: StepContext;
}

/** Why {@link runSteps} ended: every step ran, the signal aborted (checkpoint written), or the loop stopped early. */
export type StepsEnd = 'completed' | 'aborted' | 'stopped';

/** What a loop gives {@link runSteps}. */
export interface RunStepsOptions<Step extends PlannedStep> {
  runner: StepRunner;
  signal: AbortSignal | undefined;
  /** The events of steps the engine completed, in order (a loop counts them here). */
  completed: (steps: StepOutcome[]) => Generator<TrainingEvent>;
  /** Writes the checkpoint of an aborted run, after the last completed step; `next` is the step not run. */
  checkpoint: (next: Step) => Promise<TrainingEvent | undefined>;
  /** Asked before a step is submitted: true stops the run after that step (early stopping). */
  stopsAfter?: (step: Step) => boolean;
  /**
   * Turns a submitted step's completed steps into events, in place of `completed`, for a loop
   * that does more between steps (evaluations, checkpoints by iteration).
   */
  afterSubmit?: (step: Step, steps: StepOutcome[]) => AsyncGenerator<TrainingEvent>;
}

/**
 * Submits `steps` in order and yields the events of those the engine completes. On abort, the
 * steps already submitted complete and the checkpoint is written; at the end (or an early stop),
 * the pending steps complete and the weights the engine holds are synced to the model.
 */
export async function* runSteps<Step extends PlannedStep>(
  steps: Iterable<Step>,
  options: RunStepsOptions<Step>,
): AsyncGenerator<TrainingEvent, StepsEnd> {
  const { runner, completed } = options;
  const pause = eventLoopYielder();
  let end: StepsEnd = 'completed';
  for (const step of steps) {
    if (options.signal?.aborted === true) {
      yield* completed(await runner.flush());
      runner.sync();
      const written = await options.checkpoint(step);
      if (written !== undefined) yield written;
      return 'aborted';
    }
    const stops = options.stopsAfter?.(step) === true;
    const outcomes = await runner.submit(step.batch, step.context);
    yield* options.afterSubmit === undefined ? completed(outcomes) : options.afterSubmit(step, outcomes);
    if (stops) {
      end = 'stopped';
      break;
    }
    await pause();
  }
  yield* completed(await runner.flush());
  runner.sync();
  return end;
}

/** One epoch of an epoch loop: its number, and the mean cost and minibatch count so far (resumed mid-epoch, from the checkpoint). */
export interface EpochProgress {
  epoch: number;
  costSum: number;
  batches: number;
  /** `performance.now()` at the epoch's start, less the time its first minibatches took before a checkpoint. */
  started: number;
}

/** What {@link runEpoch} needs of a loop over epochs of minibatches. */
export interface EpochRun {
  caller: string;
  runner: StepRunner;
  owner: Model;
  /** The owner's variables, read once (reading syncs the weights a native engine holds). */
  variables: StepContext['variables'];
  optimizer: StepContext['optimizer'];
  options: ResolvedCommonOptions;
  state: LoopState;
  set: ImageSet;
  /** The step input of a minibatch. */
  stepBatch: (batch: Batch) => StepBatch;
  /** Minibatches an epoch runs at most. */
  batchesPerEpoch?: number;
  /** The events of a completed step, after the epoch's counts include it. */
  stepEvents: (outcome: StepOutcome, progress: EpochProgress) => Generator<TrainingEvent>;
  /** Writes the checkpoint of an aborted epoch (the state holds the epoch's progress). */
  checkpoint: (progress: EpochProgress) => Promise<TrainingEvent | undefined>;
  /** Asked before a minibatch is submitted, with the iteration it will be: true stops after it. */
  stopsAfter?: (iteration: number, submitted: number) => boolean;
}

/**
 * Runs the minibatches of epoch `epoch` (from `state.batchInEpoch`, after a mid-epoch checkpoint),
 * yields their events and returns the epoch's progress and how it ended; the state's mid-epoch
 * fields are cleared once the epoch completes or stops.
 */
export async function* runEpoch(run: EpochRun, epoch: number): AsyncGenerator<TrainingEvent, { progress: EpochProgress; end: StepsEnd }> {
  const { state, options } = run;
  const progress: EpochProgress = {
    epoch,
    costSum: state.epochCostSum ?? 0,
    batches: state.batchInEpoch ?? 0,
    started: performance.now() - (state.epochSeconds ?? 0) * 1000,
  };
  const lastGood = await snapshotWeights(run.owner);
  const context = { caller: run.caller, owner: run.owner, variables: run.variables, optimizer: run.optimizer, lastGood, epoch };
  let submitted = progress.batches;
  function* planned(): Generator<PlannedStep & { iteration: number }> {
    const { batchSize, order, seed } = options;
    // Shuffled batches are copies; each is done with once its step completed, then reused.
    for (const batch of epochBatches(run.set, { batchSize, order, seed, epoch, buffers: run.runner.maxWaiting + 1 })) {
      if (batch.index < (state.batchInEpoch ?? 0)) continue;
      if (run.batchesPerEpoch !== undefined && submitted >= run.batchesPerEpoch) return;
      yield {
        batch: run.stepBatch(batch),
        context: { ...context, batch: batch.index },
        iteration: state.iterations + (submitted - progress.batches),
      };
    }
  }
  const end = yield* runSteps(planned(), {
    runner: run.runner,
    signal: options.signal,
    completed: function* (steps) {
      for (const outcome of steps) {
        progress.costSum += outcome.cost;
        progress.batches++;
        state.iterations++;
        yield* run.stepEvents(outcome, progress);
      }
    },
    checkpoint: () => run.checkpoint(progress),
    stopsAfter: (step) => {
      submitted++;
      return run.stopsAfter?.(step.iteration, submitted) === true;
    },
  });
  if (end !== 'aborted') {
    delete state.batchInEpoch;
    delete state.epochCostSum;
    delete state.epochSeconds;
  }
  return { progress, end };
}

/** The state an aborted epoch checkpoints: the loop's state with the epoch's progress. */
export function midEpochState(state: LoopState, progress: EpochProgress): LoopState {
  return {
    ...state,
    batchInEpoch: progress.batches,
    epochCostSum: progress.costSum,
    epochSeconds: (performance.now() - progress.started) / 1000,
  };
}
