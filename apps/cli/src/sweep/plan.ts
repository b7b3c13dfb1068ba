import { createHash } from 'node:crypto';
import type { Command, Option } from 'commander';
import { InvalidArgumentError } from '@sdae/core';
import { checkFlags } from '../flags';

/** The commands a sweep can run: every experiment that trains and writes a history. */
export const SWEEPABLE_COMMANDS = ['da', 'sda', 'cnn', 'mlp', 'transfer', 'compare-noise'] as const;

/** One axis of a grid: a flag of the command (`learning-rate`) and the values it takes, as typed. */
export interface GridAxis {
  name: string;
  values: string[];
}

/** One trial of a sweep: the command line it runs and what it resolves to. */
export interface TrialPlan {
  /** A short hash of the command and its resolved flags: the same trial has the same id in every sweep. */
  id: string;
  /** This trial's value of each grid axis, as typed. */
  grid: Record<string, string>;
  /** The command's flags for this trial (the sweep adds `--out`). */
  argv: string[];
  /** The flags as the command resolved them, defaults included, without those that do not shape the result. */
  flags: Record<string, unknown>;
}

/** A sweep: the command, its grid and every trial, in the grid's order. */
export interface SweepPlan {
  /** A short hash of the command and its trials' ids. */
  id: string;
  command: string;
  grid: GridAxis[];
  /** The flags every trial shares. */
  fixed: string[];
  trials: TrialPlan[];
  /** The --threads every trial is given, if the fixed flags give it. */
  threads: number | undefined;
}

/** Flags a sweep sets itself, or that do not change what a trial computes: left out of trial ids. */
const UNHASHED_FLAGS = new Set(['out', 'json', 'threads', 'checkpoint', 'resume']);

/** Flags a sweep cannot vary or fix: it gives each trial its own directory and checkpoint. */
const SWEEP_OWNED_FLAGS = ['--out', '--checkpoint', '--resume'];

/** Flags that name files or directories: never among a sweep's fixed flags (a worker writes only under its --results). */
const PATH_FLAGS = [...SWEEP_OWNED_FLAGS, '--results'];

/**
 * The most trials a sweep may have. Each is a run of a training command; past this a grid is a
 * mistake (or a hostile record), and expanding it would take the memory of the whole machine.
 */
export const MAX_TRIALS = 10_000;

/** A short stable hash of JSON-able `value`: 12 hex digits of its SHA-256. */
function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

/** `value` with its object keys sorted at every level, so that equal values print alike. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * The id of a trial: a hash of the command and its resolved flags (those in {@link UNHASHED_FLAGS}
 * left out), so `--learning-rate 0.1` and `--learning-rate 1e-1`, or flags in another order, are
 * the same trial.
 *
 * @example trialId('da', { learningRate: 0.1, hidden: 8 }) // 12 hex digits
 */
export function trialId(command: string, flags: Record<string, unknown>): string {
  const kept = Object.fromEntries(Object.entries(flags).filter(([name, value]) => !UNHASHED_FLAGS.has(name) && value !== undefined));
  return shortHash(['sdae', command, canonical(kept)]);
}

/** The id of a sweep: a hash of its command and its trials' ids (in any order). */
export function sweepId(command: string, trialIds: readonly string[]): string {
  return shortHash(['sdae sweep', command, [...trialIds].sort()]);
}

/**
 * Reads one `--grid NAME=V1,V2,...` value: the flag's name (with or without its `--`) and its
 * values, each at least one character.
 *
 * @throws {InvalidArgumentError} naming --grid, with the form expected (a usage error).
 */
export function parseGridAxis(text: string): GridAxis {
  const match = /^(?:--)?([a-z][a-z0-9-]*)=(.*)$/.exec(text.trim());
  const values = match?.[2]?.split(',').map((value) => value.trim());
  if (match === null || values === undefined || values.some((value) => value === '')) {
    throw new InvalidArgumentError(
      '--grid',
      text,
      `--grid ${text}: expected NAME=V1,V2,... with a flag of the command and its values, such as --grid learning-rate=0.05,0.1.`,
    );
  }
  return { name: match[1]!, values };
}

/** Every combination of the axes' values, the last axis varying fastest (`[]` axes: one empty combination). */
export function cartesianProduct(axes: readonly GridAxis[]): Record<string, string>[] {
  let combinations: Record<string, string>[] = [{}];
  for (const axis of axes)
    combinations = combinations.flatMap((combination) => axis.values.map((value) => ({ ...combination, [axis.name]: value })));
  return combinations;
}

/** The flag a grid axis varies, or a usage error listing the command's flags. */
function axisOption(command: Command, axis: GridAxis): Option {
  const option = command.options.find((candidate) => candidate.long === `--${axis.name}`);
  if (option === undefined || option.long === '--help') {
    const known = command.options.map((candidate) => candidate.long).filter((name) => name !== undefined && name !== '--help');
    throw new InvalidArgumentError(
      '--grid',
      axis.name,
      `--grid ${axis.name}: sdae ${command.name()} has no flag --${axis.name}. Its flags: ${known.join(', ')}.`,
    );
  }
  if (SWEEP_OWNED_FLAGS.includes(option.long!)) {
    throw new InvalidArgumentError(
      '--grid',
      axis.name,
      `--grid ${axis.name}: a sweep sets ${option.long} itself (each trial writes into <out>/trials/<trial-id>); vary another flag.`,
    );
  }
  return option;
}

/** A grid value as command-line arguments: `--flag value`, or for a flag without value `true`/`false`. */
function axisArguments(option: Option, axis: GridAxis, value: string): string[] {
  if (!option.isBoolean()) return [option.long!, value];
  if (value === 'true') return [option.long!];
  if (value === 'false') return [];
  throw new InvalidArgumentError(
    '--grid',
    value,
    `--grid ${axis.name}=${axis.values.join(',')}: ${option.long} takes no value, so its grid values are true and false; received ${value}.`,
  );
}

/**
 * Plans a sweep of `command` over `axes` with the `fixed` flags: checks the fixed flags and every
 * trial's flags with the command's own parser and refusals (nothing runs), then names each trial
 * by its resolved flags.
 *
 * @throws {CommanderError} as the command would throw for a bad flag or value (commander has printed it).
 * @throws {InvalidArgumentError} for a bad grid (a usage error): an unknown flag, a flag given both
 *   as an axis and fixed, values that resolve to the same trial.
 */
export async function planSweep(command: Command, axes: readonly GridAxis[], fixed: readonly string[]): Promise<SweepPlan> {
  const name = command.name();
  for (const owned of PATH_FLAGS) {
    if (fixed.some((argument) => argument === owned || argument.startsWith(`${owned}=`))) {
      throw new InvalidArgumentError(
        owned,
        owned,
        owned === '--out'
          ? '--out among the flags of the swept command: give it to the sweep itself, which writes each trial into <out>/trials/<trial-id>.'
          : `${owned} does not apply to a sweep: each trial writes only into its own directory (<out>/trials/<trial-id>, or a worker's <results>/<trial-id>) and keeps its checkpoint there; drop it.`,
      );
    }
  }
  const count = axes.reduce((product, axis) => product * axis.values.length, 1);
  if (count > MAX_TRIALS) {
    throw new InvalidArgumentError(
      '--grid',
      count,
      `--grid: ${axes.map((axis) => axis.values.length).join(' x ')} = ${count} trials, more than a sweep may have (${MAX_TRIALS}). Drop values or axes, or split the grid into several sweeps.`,
    );
  }
  const options = axes.map((axis) => axisOption(command, axis));
  for (const [index, axis] of axes.entries()) {
    if (axes.findIndex((other) => other.name === axis.name) !== index) {
      throw new InvalidArgumentError(
        '--grid',
        axis.name,
        `--grid ${axis.name} is given twice; list all its values in one --grid ${axis.name}=...`,
      );
    }
  }
  const fixedValues = await checkFlags(command, fixed);
  for (const option of options) {
    if (command.getOptionValueSource(option.attributeName()) === 'cli') {
      throw new InvalidArgumentError(
        option.long!,
        option.long!,
        `${option.long} is both a --grid axis and a fixed flag of the sweep; drop one of them.`,
      );
    }
  }
  const trials: TrialPlan[] = [];
  for (const grid of cartesianProduct(axes)) {
    const argv = [...fixed, ...axes.flatMap((axis, index) => axisArguments(options[index]!, axis, grid[axis.name]!))];
    const flags = Object.fromEntries(Object.entries(await checkFlags(command, argv)).filter(([flag]) => !UNHASHED_FLAGS.has(flag)));
    const id = trialId(name, flags);
    const same = trials.find((trial) => trial.id === id);
    if (same !== undefined) {
      const describe = (values: Record<string, string>) =>
        Object.entries(values)
          .map(([axis, value]) => `${axis}=${value}`)
          .join(' ');
      throw new InvalidArgumentError(
        '--grid',
        describe(grid),
        `--grid: ${describe(same.grid)} and ${describe(grid)} are the same trial of sdae ${name}; list each value once.`,
      );
    }
    trials.push({ id, grid, argv, flags });
  }
  const threads = fixedValues['threads'] as number | undefined;
  return {
    id: sweepId(
      name,
      trials.map((trial) => trial.id),
    ),
    command: name,
    grid: [...axes],
    fixed: [...fixed],
    trials,
    threads,
  };
}
