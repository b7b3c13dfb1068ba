import { InvalidArgumentError } from '@sdae/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BackendUnavailableError,
  formatBackendReport,
  resolveEngine,
  selectBackend,
  type BackendName,
  type BackendReport,
  type ResolvedEngine,
} from '@sdae/backend';
import { loadMnist, sliceImageSet, type ImageSet, type Mnist } from '@sdae/datasets';
import { encodePng, enlarge, greyToRgba, htmlReport, tileRasterImages, type ReportOptions, type TileRasterImagesOptions } from '@sdae/vis';
import {
  decodeCheckpoint,
  fileCheckpoint,
  formatEpochLog,
  namingPath,
  readCheckpointFile,
  settingsDifferences,
  type Checkpoint,
  type CheckpointOptions,
  type SettingValue,
  type EngineName,
  type EngineReport,
  type EpochLog,
} from '@sdae/train';
import type { CheckpointFlags, EngineFlags, ExperimentFlags } from '../flags';
import { eventLine, type CliEvent } from './events';
import {
  EpochSteps,
  ProgressTracker,
  epochMetrics,
  formatEpochClosing,
  formatProgress,
  type BatchEnd,
  type ProgressPlan,
} from './progress';
import { lockOutDirectory } from './out-lock';
import { EXIT, RunInterrupted, type Output } from '../output';
import { trialProgressChannel } from '../sweep/trial-process';
import { requireWritable, type OutputPath } from '../writable';
import { filterTileShape } from '../picture-bounds';
import { markPhase, startPhases, startupLine } from './phases';

/** What a training loop of a command needs: Ctrl-C, checkpoints, resume and progress. */
export interface TrainingControls {
  /** Writes the checkpoint file after every epoch and when Ctrl-C stops the loop. */
  checkpoint: CheckpointOptions;
  /** The --resume checkpoint, decoded (its errors name the file) and checked against this run's flags. */
  resume: Checkpoint | undefined;
  /**
   * After the loop: when Ctrl-C stopped it, prints where it stopped and the command that resumes
   * it, then throws {@link RunInterrupted} (exit 130).
   */
  stopIfInterrupted: () => void;
  /** Removes the Ctrl-C handler. */
  release: () => void;
  /**
   * Ctrl-C's signal, the checkpoint, the resume checkpoint, the flags to record in checkpoints, a
   * progress bar with ETA on a terminal and epoch logging: spread into a training loop's options.
   */
  loopOptions: EngineLoopOptions & {
    signal: AbortSignal;
    checkpoint: CheckpointOptions;
    resume: Checkpoint | undefined;
    settings: Record<string, SettingValue>;
    onBatchEnd: (event: BatchEnd) => void;
    onEpochEnd: (epochLog: EpochLog) => void;
  };
}

/** The loop options that choose the engine (--engine, --device, --threads) and print which one trains. */
export interface EngineLoopOptions {
  /** What `resolveEngine` chose for --engine, --device and --threads, once for the run. */
  engine: ResolvedEngine;
  /** The native engine's thread count (--threads, else its default, resolved); undefined when tfjs trains. */
  threads: number | undefined;
  onEngine: (report: EngineReport) => void;
}

/** An experiment's setup: the backend chosen, the data, and where its files go. */
export interface Experiment {
  backend: BackendReport;
  /** Spread into every training loop's options (trainingControls' loopOptions include them). */
  engine: EngineLoopOptions;
  /** What trained the run's loops so far, once each: `onnxruntime-node 1.30.0 (native, 2 threads)`, `tfjs wasm (SIMD on)`. */
  trainedBy: string[];
  mnist: Mnist;
  directory: string;
  /**
   * Prints a line and keeps it for the report; with --json, prints `event` instead (by default a
   * `message` event holding the text).
   */
  log: (text: string, event?: CliEvent) => void;
  /** With --json, prints `event`; without, nothing (checkpoints, minibatch progress). */
  emit: (event: CliEvent) => void;
  /** Logs an epoch as the tutorials print it, optionally prefixed with the run's name. */
  logEpoch: (epochLog: EpochLog, run?: string) => void;
  /** Every line logged so far. */
  lines: string[];
  /** Writes a file into the experiment's directory and returns its path. */
  write: (name: string, content: string | Uint8Array) => Promise<string>;
}

/** The engine line of a loop's engine event with --verbose: what runs the steps and why. */
function engineLine(report: EngineReport): string {
  return `engine: ${report.description}: ${report.reason}`;
}

/** What the selected tfjs backend started with, from its attempt: "SIMD on, 2 threads" for wasm, undefined for cpu. */
export function backendDetail(backend: BackendReport): string | undefined {
  const attempt = backend.tried.find((candidate) => candidate.ok && candidate.name === backend.backend);
  return attempt === undefined ? undefined : /^started \((.+)\)$/.exec(attempt.reason)?.[1];
}

/**
 * The one line a training command prints about what trains by default (`sdae backends` and
 * --verbose give the full report): `engine: onnxruntime-node 1.30.0 (native, 2 threads); tfjs
 * backend: wasm (SIMD on, 2 threads)`, or `engine: tfjs wasm (SIMD on, 2 threads)` when tfjs trains,
 * followed by why when --engine auto fell back to it (the native engine is unavailable or cannot
 * compile the step).
 */
export function engineSummary(report: EngineReport, backend: BackendReport, requested: EngineName, deviceAsked = false): string {
  const detail = backendDetail(backend);
  const withDetail = (text: string) => (detail === undefined ? text : `${text} (${detail})`);
  // How --device decided is said when it was given (--verbose and sdae backends say it always).
  const device = deviceAsked && report.deviceReason !== undefined ? ` (${report.deviceReason})` : '';
  if (report.engine === 'native') return `engine: ${report.description}${device}; tfjs backend: ${withDetail(backend.backend)}`;
  return `engine: ${withDetail(report.description)}${requested === 'auto' ? `: ${report.reason}` : ''}`;
}

/** What trained a loop, for the report's summary: the native engine's description, or `tfjs <backend> (<detail>)`. */
function trainedEngine(report: EngineReport, backend: BackendReport): string {
  if (report.engine === 'native') return report.description;
  const detail = backendDetail(backend);
  return `tfjs ${backend.backend}${detail === undefined ? '' : ` (${detail})`}`;
}

/**
 * The backend report without its `engine:` and device lines: the training loop says which engine
 * and device train (which --engine and --device may change), so a command prints that once, from the loop.
 */
function backendLines(backend: BackendReport): string[] {
  return formatBackendReport(backend)
    .split('\n')
    .filter((line) => !line.startsWith('engine: ') && !line.startsWith('  device'));
}

/**
 * Selects the --backend; a named backend that cannot start is refused in the CLI's terms (the
 * flag and its choices, not the API's `allowFallback` option).
 *
 * @throws {BackendUnavailableError} naming --backend, the reason and the other choices.
 */
export async function selectCliBackend(backend: BackendName | 'auto'): Promise<BackendReport> {
  try {
    return await selectBackend({ backend });
  } catch (error) {
    if (!BackendUnavailableError.isInstance(error) || error.backend !== backend) throw error;
    throw new BackendUnavailableError(
      error.backend,
      error.reason,
      `--backend ${backend} cannot start here: ${error.reason}. Run sdae backends to see which start here, or use --backend auto for the fastest that starts.`,
    );
  }
}

/**
 * Refuses a --batch-size larger than the training set as a usage error: an epoch would have no
 * batch, and the loops' own message speaks of their API options.
 *
 * @throws {InvalidArgumentError} naming --batch-size (exit 2).
 */
export function requireBatchFits(experiment: Experiment, flags: ExperimentFlags, batchSize: number, flagName = '--batch-size'): void {
  const count = experiment.mnist.train.count;
  if (batchSize <= count) return;
  const limited = flags.limit !== undefined && flags.limit <= count;
  throw new InvalidArgumentError(
    flagName,
    batchSize,
    `${flagName} ${batchSize} is larger than the ${count} training images (split ${flags.split}${limited ? `, --limit ${flags.limit}` : ''}), ` +
      `so an epoch would have no batch. Use ${flagName} ${count} or less${limited ? ', or a larger --limit' : ''}.`,
  );
}

/** Where a command that takes --checkpoint writes it: the flag's path, by default `<out>/checkpoint.sdae`. */
export function checkpointPath(flags: { out: string; checkpoint?: string | undefined }): string {
  return resolve(flags.checkpoint ?? join(flags.out, 'checkpoint.sdae'));
}

/**
 * Checks that --out (and, for commands that take it, --checkpoint) can be written, then selects
 * the backend, loads MNIST (cut to --limit) and creates the output directory.
 */
export async function startExperiment(
  flags: ExperimentFlags & EngineFlags & Partial<CheckpointFlags>,
  output: Output,
): Promise<Experiment> {
  if (flags.engine === 'tfjs' && flags.threads !== undefined) {
    throw new InvalidArgumentError(
      '--threads',
      flags.threads,
      `--threads sizes the native engine's pool, but --engine tfjs trains on tfjs; drop --threads (SDAE_WASM_THREADS sizes wasm's pool) or use --engine native.`,
    );
  }
  startPhases();
  const targets: OutputPath[] = [{ flag: '--out', path: flags.out, kind: 'directory' }];
  if ('checkpoint' in flags) targets.push({ flag: '--checkpoint', path: flags.checkpoint ?? checkpointPath(flags), kind: 'file' });
  await requireWritable(targets);
  // Before the data is loaded: a directory in use by another run is refused at once.
  const directory = resolve(flags.out);
  lockOutDirectory(directory, output.commandLine ?? [], await mkdir(directory, { recursive: true }));
  // The tfjs backend (wasm: compiling its module, starting its threads) starts while onnxruntime
  // loads and MNIST is read; awaited before anything uses tfjs. The no-op catch keeps a failure
  // from counting as unhandled until it is awaited (where it throws).
  const backendStarted = selectCliBackend(flags.backend);
  backendStarted.catch(() => {});
  // Once per run, first (a --device that cannot start is refused at once): every loop of the
  // command trains on this answer, and checkpoints record its threads and device.
  const engine = await resolveEngine({
    engine: flags.engine,
    ...(flags.device === undefined ? {} : { device: flags.device }),
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
  });
  const threads = engine.engine === 'native' ? engine.native.threads : undefined;
  markPhase('engine loaded');
  const loaded = await loadMnist({ split: flags.split });
  markPhase('data loaded');
  const backend = await backendStarted;
  markPhase('tfjs backend');
  const cut = (set: ImageSet) => (flags.limit === undefined || flags.limit >= set.count ? set : sliceImageSet(set, 0, flags.limit));
  const mnist: Mnist = {
    ...loaded,
    train: cut(loaded.train),
    validation: loaded.validation && cut(loaded.validation),
    test: cut(loaded.test),
  };
  const lines: string[] = [];
  const log = (text: string, event: CliEvent = { type: 'message', message: text }) => {
    lines.push(text);
    output.out(flags.json ? eventLine(event) : `${text}\n`);
  };
  const emit = (event: CliEvent) => {
    if (flags.json) output.out(eventLine(event));
  };
  if (flags.verbose && !flags.json) output.out(`${backendLines(backend).join('\n')}\n`);
  // Printed when a loop starts and again only when the engine changes (not for every SdA layer or run).
  let lastEngine: string | undefined;
  const trainedBy: string[] = [];
  const epochSteps = new EpochSteps();
  const onEngine = (report: EngineReport) => {
    markPhase('graph compiled');
    const engine = trainedEngine(report, backend);
    if (!trainedBy.includes(engine)) trainedBy.push(engine);
    const line = flags.verbose
      ? `${engineLine(report)}${report.deviceReason === undefined ? '' : `\n  device ${report.device}: ${report.deviceReason}`}`
      : engineSummary(report, backend, flags.engine, flags.device !== undefined);
    if (line === lastEngine) return;
    lastEngine = line;
    const detail = backendDetail(backend);
    log(line, {
      type: 'engine',
      engine: report.engine,
      description: report.description,
      reason: report.reason,
      ...(report.device === undefined ? {} : { device: report.device, deviceReason: report.deviceReason }),
      ...(report.adapter === undefined ? {} : { adapter: report.adapter }),
      backend: backend.backend,
      ...(detail === undefined ? {} : { backendDetail: detail }),
    });
  };
  return {
    backend,
    engine: { engine, threads, onEngine },
    trainedBy,
    mnist,
    directory,
    log,
    emit,
    lines,
    logEpoch: (epochLog, run) => {
      // Clear the progress bar's line first.
      if (output.isTTY === true && !flags.json) output.out('\r\u001b[K');
      const prefix = run === undefined ? '' : `${run}: `;
      log(`${prefix}${formatEpochLog(epochLog)}`, {
        type: 'epoch',
        ...(run === undefined ? {} : { run }),
        ...epochLog,
      });
      // Keras' closing line beside the tutorial's (the epoch event already carries its figures for --json).
      const closing = `${' '.repeat(prefix.length)}${formatEpochClosing(epochSteps.of(epochLog, run), epochLog.seconds, epochMetrics(epochLog))}`;
      if (!flags.json) log(closing);
    },
    write: async (name, content) => {
      const path = join(directory, name);
      await mkdir(directory, { recursive: true });
      await writeFile(path, content).catch((error: unknown) => Promise.reject(namingPath(error, path)));
      return path;
    },
  };
}

/**
 * Flags that do not shape training: where files go, how progress prints, what the pictures show
 * (--grid, --enlarge), and the epoch counts (the
 * loops record and compare those themselves: they may grow). --threads and --device as typed are
 * not recorded: the thread count and device the engine resolved are.
 */
const UNRECORDED_FLAGS = new Set([
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

/** A flag's name as typed: `batchSize` -> `--batch-size`. */
export function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** The command line that continues an interrupted run: the same arguments, with `--resume <checkpoint>`. */
function resumeCommand(commandLine: readonly string[], checkpoint: string): string {
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

/** A grid of filters (one per row of `rows`, 10 per grid row, at most 10 grid rows unless `tileShape` says otherwise) as PNG bytes; `enlargeBy` magnifies small kernels. */
export function filtersPng(rows: ArrayLike<number>, options: TileRasterImagesOptions & { enlargeBy?: number } = {}): Uint8Array {
  const { enlargeBy, ...tiling } = options;
  const [height, width] = tiling.imageShape ?? [28, 28];
  const tileShape = tiling.tileShape ?? filterTileShape(rows.length / (height * width));
  const grid = tileRasterImages(rows, { ...tiling, tileShape });
  return encodePng(greyToRgba(enlargeBy === undefined ? grid : enlarge(grid, enlargeBy)));
}

/** Writes each figure's file, then report.html gathering them, and logs where the report is. */
export async function writeReport(
  experiment: Experiment,
  report: Omit<ReportOptions, 'backendReport'>,
  files: Record<string, string | Uint8Array>,
): Promise<string> {
  for (const [name, content] of Object.entries(files)) await experiment.write(name, content);
  const engines = experiment.lines.filter((line) => line.startsWith('engine: '));
  const backendReport = [...engines, ...backendLines(experiment.backend)].join('\n');
  // The summary names what trained (the native engine, or tfjs on its backend), not only the tfjs backend.
  const { backend, ...summary } = report.summary ?? {};
  const engine = experiment.trainedBy.length > 0 ? experiment.trainedBy.join(', ') : backend === undefined ? undefined : `tfjs ${backend}`;
  const withEngine = report.summary === undefined ? {} : { summary: { ...summary, ...(engine === undefined ? {} : { engine }) } };
  const path = await experiment.write('report.html', htmlReport({ log: experiment.lines, ...report, ...withEngine, backendReport }));
  experiment.log(`Report: ${path}`, { type: 'report', path });
  return path;
}
