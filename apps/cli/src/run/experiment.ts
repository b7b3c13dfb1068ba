import { InvalidArgumentError } from '@sdae/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveEngine, type BackendReport, type ResolvedEngine } from '@sdae/backend';
import { loadMnist, type Mnist } from '@sdae/datasets';
import {
  formatEpochLog,
  namingPath,
  type Checkpoint,
  type CheckpointOptions,
  type SettingValue,
  type EngineReport,
  type EpochLog,
} from '@sdae/train';
import type { CheckpointFlags, EngineFlags, ExperimentFlags } from '../flags';
import { eventLine, type CliEvent } from './events';
import { ClosingSeconds, EpochSteps, epochMetrics, formatEpochClosing, type BatchEnd } from './progress';
import { lockOutDirectory } from './out-lock';
import { type Output } from '../output';
import { requireWritable, type OutputPath } from '../writable';
import { markPhase, startPhases } from './phases';
import { backendDetail, backendLines, engineLine, engineSummary, selectCliBackend, trainedEngine } from './engine-lines';

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
  /** Takes an epoch that gets no line (a sampled run prints every 100th iteration): its time joins the next line's. */
  skipEpoch: (epochLog: EpochLog, run?: string) => void;
  /** Every line logged so far. */
  lines: string[];
  /** Writes a file into the experiment's directory and returns its path. */
  write: (name: string, content: string | Uint8Array) => Promise<string>;
  /** Prints a line with --verbose (not with --json), and nothing otherwise; the report does not keep it. */
  detail: (text: string) => void;
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
  // loads and MNIST is read; awaited before anything uses tfjs. The no-op catches keep a failure
  // from counting as unhandled until it is awaited (where it throws, after the engine's).
  const backendStarted = selectCliBackend(flags.backend);
  backendStarted.catch(() => {});
  // MNIST's files are read while onnxruntime loads, too (each set's pixels are converted when a
  // command first reads them, and only the first --limit).
  const mnistRead = loadMnist({ split: flags.split, ...(flags.limit === undefined ? {} : { limit: flags.limit }) });
  mnistRead.catch(() => {});
  // Once per run, first (a --device that cannot start is refused at once): every loop of the
  // command trains on this answer, and checkpoints record its threads and device.
  const engine = await resolveEngine({
    engine: flags.engine,
    ...(flags.device === undefined ? {} : { device: flags.device }),
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
  });
  const threads = engine.engine === 'native' ? engine.native.threads : undefined;
  markPhase('engine loaded');
  const mnist = await mnistRead;
  markPhase('data loaded');
  const backend = await backendStarted;
  markPhase('tfjs backend');
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
  const closingSeconds = new ClosingSeconds();
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
      // A sampled run's line covers its iterations since the last line (each is an epoch log).
      const { epochs, seconds } = closingSeconds.of(epochLog, run);
      const steps = epochLog.stage === 'sampled' ? epochs : epochSteps.of(epochLog, run);
      const closing = `${' '.repeat(prefix.length)}${formatEpochClosing(steps, seconds, epochMetrics(epochLog))}`;
      if (!flags.json) log(closing);
    },
    detail: (text) => {
      if (flags.verbose && !flags.json) output.out(`${text}\n`);
    },
    skipEpoch: (epochLog, run) => closingSeconds.skip(epochLog, run),
    write: async (name, content) => {
      const path = join(directory, name);
      await mkdir(directory, { recursive: true });
      await writeFile(path, content).catch((error: unknown) => Promise.reject(namingPath(error, path)));
      return path;
    },
  };
}
