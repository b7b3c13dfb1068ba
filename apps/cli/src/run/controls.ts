// What a command's training loops share while they run: Ctrl-C with a checkpoint and the command
// that resumes it, checkpoints, and the progress reporter.
import { InvalidArgumentError } from '@sdae/core';
import {
  decodeCheckpoint,
  fileCheckpoint,
  formatEpochLog,
  readCheckpointFile,
  settingsDifferences,
  type Checkpoint,
  type CheckpointOptions,
  type SettingValue,
  type EpochLog,
} from '@sdae/train';
import type { CheckpointFlags, ExperimentFlags } from '../flags';
import { ProgressTracker, formatProgress, type BatchEnd, type ProgressPlan } from './progress';
import { EXIT, RunInterrupted, type Output } from '../output';
import { trialProgressChannel } from '../sweep/trial-process';
import { markEndPhase, markPhase, startupLine } from './phases';
import type { Experiment, TrainingControls } from './experiment';
import { checkpointPath } from './experiment';

/**
 * Flags that do not shape training: where files go, how progress prints, what the pictures show
 * (--grid, --enlarge), and the epoch counts (the
 * loops record and compare those themselves: they may grow). --threads and --device as typed are
 * not recorded: the thread count and device the engine resolved are.
 */
export const UNRECORDED_FLAGS = new Set([
  'out',
  'checkpoint',
  'resume',
  'json',
  'verbose',
  'threads',
  'device',
  'epochs',
  'pretrainEpochs',
  'finetuneEpochs',
  'iterations',
  'grid',
  'enlarge',
]);

/**
 * Iterations between the checkpoints of a run on random minibatches (`cnn`, `mlp --iterations`).
 * Each checkpoint holds the whole history and is flushed to disk: one every 100 iterations took
 * 0.2-0.25 s of the notebook CNN's 3,000 (about 5 % of the run, 1.5 ms an iteration). Ctrl-C still
 * writes the iteration it stops at, so a checkpoint is lost only when the process is killed.
 */
export const SAMPLED_CHECKPOINT_EVERY = 1000;

/** A flag's name as typed: `batchSize` -> `--batch-size`. */
export function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** The command line that continues an interrupted run: the same arguments, with `--resume <checkpoint>`. */
export function resumeCommand(commandLine: readonly string[], checkpoint: string): string {
  const kept: string[] = [];
  for (let index = 0; index < commandLine.length; index++) {
    const argument = commandLine[index]!;
    if (argument === '--resume') index++;
    else if (!argument.startsWith('--resume=')) kept.push(argument);
  }
  const quote = (argument: string) => (/^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, "'\\''")}'`);
  return ['sdae', ...kept, '--resume', checkpoint].map(quote).join(' ');
}

/**
 * Sets up a command's training loop: the first Ctrl-C stops it after the current minibatch and
 * writes a checkpoint of that state (a second one quits at once), a checkpoint is written after
 * every epoch, --resume continues from one (refusing other flags, naming each), and a terminal
 * gets a progress bar laid out by `plan` (with --json, `batch` events about once a second).
 *
 * @throws {InvalidArgumentError} (argument `--resume`, a usage error) when the checkpoint was written with other flags.
 */
export async function trainingControls(
  experiment: Experiment,
  flags: ExperimentFlags & CheckpointFlags,
  output: Output,
  plan: ProgressPlan,
): Promise<TrainingControls> {
  const settings: Record<string, SettingValue> = {
    ...Object.fromEntries(
      Object.entries(flags)
        .filter(([name]) => !UNRECORDED_FLAGS.has(name))
        .map(([name, value]) => [name, (value ?? null) as SettingValue]),
    ),
    threads: experiment.engine.threads ?? null,
    // Compared on resume only to say so: a run may continue on another device (see settingsDifferences).
    device: experiment.engine.engine.engine === 'native' ? experiment.engine.engine.device : 'tfjs',
  };
  const path = checkpointPath(flags);
  let resume: Checkpoint | undefined;
  if (flags.resume !== undefined) {
    resume = decodeCheckpoint(await readCheckpointFile(flags.resume), flags.resume);
    const differences = settingsDifferences(resume.settings.caller, settings, flagName);
    if (differences.length > 0) {
      throw new InvalidArgumentError(
        '--resume',
        flags.resume,
        `--resume ${flags.resume}: the checkpoint was written with other flags: ${differences.join('; ')}. Run with the ` +
          "checkpoint's flags (the epochs may grow), or start afresh without --resume.",
      );
    }
  }
  if (resume !== undefined) {
    const earlier = resume.state.history.filter((log) => plan.logsEpoch?.(log) ?? true);
    experiment.log(`Resuming from ${flags.resume}: ${resume.state.history.length} ${plan.unit}(s) done (in the report's log).`);
    const device = resume.settings.caller.device;
    if (device !== undefined && device !== settings.device)
      experiment.log(
        `The checkpoint was trained on ${String(device)} and continues on ${String(settings.device)}: ` +
          'the results differ from an uninterrupted run in the last bits.',
      );
    // The report's log covers the whole run: the earlier runs' epochs as they were logged.
    experiment.lines.push(...earlier.map((log) => formatEpochLog(log)));
  }
  const interrupt = stopOnCtrlC(output, 'to write a checkpoint');
  let lastCheckpoint: string | undefined;
  const file = fileCheckpoint(path);
  let position = 'before the first minibatch';
  const checkpoint: CheckpointOptions = {
    every: 1,
    write: async (bytes) => {
      await file.write(bytes);
      lastCheckpoint = path;
      experiment.emit({ type: 'checkpoint', path, bytes: bytes.length });
    },
  };
  const progress = progressReporter(experiment, flags, output, plan);
  const onBatchEnd = (event: BatchEnd) => {
    position = positionAfter(event);
    progress.batchEnd(event);
  };
  return {
    checkpoint,
    resume,
    loopOptions: {
      ...experiment.engine,
      signal: interrupt.signal,
      checkpoint,
      resume,
      settings,
      onBatchEnd,
      onEpochEnd: (epochLog) => {
        progress.epochEnd(epochLog);
        if (plan.logsEpoch?.(epochLog) ?? true) experiment.logEpoch(epochLog);
        else experiment.skipEpoch(epochLog);
      },
    },
    stopIfInterrupted: () => {
      if (!interrupt.signal.aborted) return;
      const command = lastCheckpoint === undefined ? undefined : resumeCommand(output.commandLine ?? [], lastCheckpoint);
      experiment.log(
        command === undefined
          ? `Interrupted ${position}, before any checkpoint was written: nothing to resume from.`
          : `Interrupted ${position}; the checkpoint ${lastCheckpoint} holds that state. Continue with:\n  ${command}`,
        { type: 'interrupted', checkpoint: lastCheckpoint ?? null, resumeCommand: command ?? null },
      );
      throw new RunInterrupted(lastCheckpoint);
    },
    release: interrupt.release,
  };
}

/** A loop's progress, from {@link progressReporter}: give it every minibatch's end and every epoch's log. */
export interface ProgressReporter {
  batchEnd: (event: BatchEnd) => void;
  epochEnd: (epochLog: EpochLog) => void;
}

/**
 * The progress of one training loop laid out by `plan`: on a terminal a Keras-like bar with ETA
 * (redrawn at most every 100 ms), with --json `batch` events about once a second. A comparison
 * passes `run` (which run of how many): the bar starts `run 2/4 <name>:` and the events name it.
 */
export function progressReporter(
  experiment: Experiment,
  flags: ExperimentFlags,
  output: Output,
  plan: ProgressPlan,
  run?: { name: string; index: number; count: number },
): ProgressReporter {
  const drawn = output.isTTY === true && !flags.json;
  const tracker = new ProgressTracker(plan, performance.now());
  const label = run === undefined ? '' : `run ${run.index + 1}/${run.count} ${run.name}: `;
  let lastDrawn = Number.NEGATIVE_INFINITY;
  let lastBatchEvent = performance.now();
  // A sweep's trial also tells the sweep where it is, twice a second (see trialProgressChannel).
  const toSweep = trialProgressChannel();
  let lastToSweep = Number.NEGATIVE_INFINITY;
  return {
    batchEnd: (event) => {
      const { stage, layer, epoch, batch, loss } = event;
      const now = performance.now();
      if (flags.verbose && !flags.json) {
        markPhase('first step');
        markEndPhase('last step');
        const startup = startupLine();
        if (startup !== undefined) output.out(`${drawn ? '\r\u001b[K' : ''}${startup}\n`);
      }
      const snapshot = tracker.batchEnd(event, now);
      if (toSweep !== undefined && (now - lastToSweep >= 500 || snapshot.done === snapshot.total)) {
        lastToSweep = now;
        toSweep({ type: 'batch', snapshot });
      }
      if (flags.json && now - lastBatchEvent >= 1000) {
        lastBatchEvent = now;
        experiment.emit({
          type: 'batch',
          ...(run === undefined ? {} : { run: run.name }),
          stage,
          ...(layer === undefined ? {} : { layer }),
          epoch,
          batch,
          batches: plan.batchesPerEpoch,
          loss,
        });
      }
      if (!drawn || (now - lastDrawn < 100 && snapshot.done < snapshot.total)) return;
      lastDrawn = now;
      output.out(`\r\u001b[K  ${label}${formatProgress(snapshot)}`);
    },
    epochEnd: (epochLog) => {
      tracker.epochEnd(epochLog);
      if (toSweep === undefined || !(plan.logsEpoch?.(epochLog) ?? true)) return;
      const total = plan.unit === 'iteration' ? plan.batchesPerEpoch : plan.epochsOf(epochLog);
      const line = `${run === undefined ? '' : `${run.name}: `}${formatEpochLog(epochLog)}`;
      toSweep({ type: 'epoch', line, done: epochLog.epoch + 1, total });
    },
  };
}

/** Ctrl-C during training, from {@link stopOnCtrlC}. */
export interface CtrlC {
  /** Aborted by the first Ctrl-C: a loop given it stops after its current minibatch. */
  signal: AbortSignal;
  /** Removes the Ctrl-C handler (Node's default, quitting at once, applies again). */
  release: () => void;
}

/**
 * Handles Ctrl-C while a command trains: the first aborts the signal and says the run stops
 * after this minibatch `purpose` (`'to write a checkpoint'`); a second quits at once with exit 130.
 */
export function stopOnCtrlC(output: Output, purpose: string): CtrlC {
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
    output.err(`\nStopping after this minibatch ${purpose}; press Ctrl-C again to quit at once.\n`);
  };
  process.on('SIGINT', onInterrupt);
  return { signal: controller.signal, release: () => process.removeListener('SIGINT', onInterrupt) };
}

/** Where a loop stands after a minibatch, as the interrupt messages say it: `after epoch 1, minibatch 40`. */
export function positionAfter({ epoch, batch }: { epoch: number; batch: number }): string {
  return `after epoch ${epoch}, minibatch ${batch}`;
}
