import { createHmac, timingSafeEqual } from 'node:crypto';
import { SdaeError } from '@sdae/core';
import type { GridAxis, SweepPlan, TrialPlan } from './plan';

// What a queued sweep puts in Redis, and the checks a worker makes before it runs anything: a job
// is data (a sweep id, a trial id and the trial's grid values), never a command line. The worker
// plans the sweep again from its record (command, grid, fixed flags) with the command's own parser
// and runs only a trial of that plan whose id and grid values match the job's. With a queue secret,
// the record and each job carry an HMAC-SHA256 of what they say, and unsigned ones are refused.

/** A worker refused a queued job or sweep record: malformed, unsigned or not a trial of its sweep. `sweep` names the sweep. */
export class QueueJobRefusedError extends SdaeError {
  readonly sweep: string;

  constructor(sweep: string, message: string) {
    super(message);
    this.sweep = sweep;
  }
}

/** A sweep's record or jobs vanished from Redis while it was followed (the Redis was flushed, or restarted without its data). */
export class SweepLostError extends SdaeError {
  readonly sweep: string;

  constructor(sweep: string, message: string) {
    super(message);
    this.sweep = sweep;
  }
}

/** A sweep as stored in Redis under `sdae:sweep:<id>`: what a worker needs to plan it again. */
export interface SweepRecord {
  version: string;
  /** The submitter's --out (where `--attach` writes the summary by default). */
  out: string;
  command: string;
  grid: GridAxis[];
  fixed: string[];
  /** HMAC-SHA256 of the rest, with the queue secret (absent without one). */
  signature?: string;
}

/** A queued trial: which sweep, which trial, and its value of each grid axis. */
export interface TrialJob {
  sweep: string;
  trial: string;
  grid: Record<string, string>;
  /** HMAC-SHA256 of the rest, with the queue secret (absent without one). */
  signature?: string;
}

/** The Redis hash of the sweeps workers take trials of (sweep id -> sdae version). */
export const ACTIVE_SWEEPS = 'sdae:active';
/** Where a sweep's record is kept. */
export const sweepKey = (id: string) => `sdae:sweep:${id}`;
/** The BullMQ queue of a sweep's trials (job id = trial id). */
export const queueName = (id: string) => `sdae-sweep-${id}`;

/** What a worker returns for a finished trial. */
export interface TrialResult {
  worker: string;
  seconds: number;
  /** Where the worker wrote the trial's files (on the worker's machine). */
  directory: string;
  history: unknown;
  /** HMAC-SHA256 of the rest, with the queue secret (absent without one). */
  signature?: string;
}

/** Sweep and trial ids: 12 hex digits (sweep-plan's short hash), nothing a path or a key could hide in. */
export const ID_PATTERN = /^[0-9a-f]{12}$/;

/** The hex HMAC-SHA256 of `parts` (as JSON) with `secret`. */
function sign(secret: string, parts: readonly unknown[]): string {
  return createHmac('sha256', secret).update(JSON.stringify(parts)).digest('hex');
}

/** Whether `signature` is the HMAC of `parts` with `secret`, compared in constant time. */
function signatureMatches(secret: string, parts: readonly unknown[], signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(sign(secret, parts), 'hex'), Buffer.from(signature, 'hex'));
}

const recordParts = (id: string, record: SweepRecord) => [
  'sdae sweep record',
  id,
  record.version,
  record.command,
  record.grid,
  record.fixed,
];
const jobParts = (job: TrialJob) => ['sdae trial job', job.sweep, job.trial, Object.entries(job.grid).sort()];

const resultParts = (sweep: string, trial: string, result: TrialResult) => [
  'sdae trial result',
  sweep,
  trial,
  result.worker,
  result.seconds,
  result.directory,
  result.history,
];

/** `result` of trial `trial` of sweep `sweep`, signed with `secret` when given. */
export function signedResult(sweep: string, trial: string, result: TrialResult, secret: string | undefined): TrialResult {
  return secret === undefined ? result : { ...result, signature: sign(secret, resultParts(sweep, trial, result)) };
}

/**
 * Why the returned value of a completed job is not a result the submitter can record, or
 * undefined when it is one (of the right shape and, with `secret`, signed by a worker that holds it).
 */
export function resultProblem(sweep: string, trial: string, value: unknown, secret: string | undefined): string | undefined {
  if (
    !isObject(value) ||
    typeof value['worker'] !== 'string' ||
    typeof value['seconds'] !== 'number' ||
    typeof value['directory'] !== 'string'
  ) {
    return 'its result in Redis is malformed';
  }
  if (secret !== undefined && !signatureMatches(secret, resultParts(sweep, trial, value as unknown as TrialResult), value['signature'])) {
    return 'its result in Redis is not signed with the --queue-secret';
  }
  return undefined;
}

/** The record of `plan` submitted by sdae `version` into `out`, signed with `secret` when given. */
export function sweepRecord(plan: SweepPlan, version: string, out: string, secret: string | undefined): SweepRecord {
  const record: SweepRecord = { version, out, command: plan.command, grid: plan.grid, fixed: plan.fixed };
  return secret === undefined ? record : { ...record, signature: sign(secret, recordParts(plan.id, record)) };
}

/** The job of `trial` of the sweep `sweep`, signed with `secret` when given. */
export function trialJob(sweep: string, trial: TrialPlan, secret: string | undefined): TrialJob {
  const job: TrialJob = { sweep, trial: trial.id, grid: trial.grid };
  return secret === undefined ? job : { ...job, signature: sign(secret, jobParts(job)) };
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads the record of sweep `id` from its text in Redis, checked for shape and, with `secret`,
 * for its signature. Says what is wrong without quoting the text.
 *
 * @throws {QueueJobRefusedError} naming the sweep, for a missing, malformed or unsigned record.
 */
export function readSweepRecord(id: string, text: string | null, secret: string | undefined): SweepRecord {
  const refuse = (what: string) =>
    new QueueJobRefusedError(
      id,
      `sweep ${id}: its record in Redis (sdae:sweep:${id}) ${what}; its trials are refused. Submit the sweep again with sdae sweep --queue.`,
    );
  if (text === null) throw refuse('is missing');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refuse(`is not valid JSON (${text.length} characters)`);
  }
  if (!isObject(value))
    throw refuse(`is ${value === null ? 'null' : `a JSON ${Array.isArray(value) ? 'array' : typeof value}`}, not an object`);
  const { version, out, command, grid, fixed, signature } = value;
  const axesValid =
    Array.isArray(grid) && grid.every((axis) => isObject(axis) && typeof axis['name'] === 'string' && isStringArray(axis['values']));
  if (typeof version !== 'string' || typeof out !== 'string' || typeof command !== 'string' || !axesValid || !isStringArray(fixed)) {
    throw refuse('lacks a field or holds one of the wrong type (expected version, out, command, grid and fixed)');
  }
  const record: SweepRecord = { version, out, command, grid: grid as GridAxis[], fixed };
  if (secret !== undefined && !signatureMatches(secret, recordParts(id, record), signature)) {
    throw refuse(`is ${signature === undefined ? 'not signed' : 'signed with another secret'}, and this worker has a --queue-secret`);
  }
  return record;
}

/**
 * The trial of `plan` (the sweep `sweep`, planned again from its record) that the job `jobId`
 * holding `data` names: refused unless its trial id is one of the plan's, with the plan's grid
 * values for it, and (with `secret`) signed.
 *
 * @throws {QueueJobRefusedError} naming the sweep and saying what the job got wrong.
 */
export function checkTrialJob(
  sweep: string,
  plan: SweepPlan,
  jobId: string | undefined,
  data: unknown,
  secret: string | undefined,
): TrialPlan {
  const refuse = (what: string) =>
    new QueueJobRefusedError(sweep, `sweep ${sweep}: refused queued job ${JSON.stringify(String(jobId).slice(0, 80))}: ${what}.`);
  if (!isObject(data)) throw refuse('it is not an object');
  const { trial, grid, signature } = data;
  if (data['sweep'] !== sweep) throw refuse('it names another sweep than its queue');
  if (typeof trial !== 'string' || !ID_PATTERN.test(trial) || jobId !== trial) {
    throw refuse('its trial id is not 12 hex digits equal to its job id');
  }
  const extra = Object.keys(data).filter((key) => !['sweep', 'trial', 'grid', 'signature'].includes(key));
  if (extra.length > 0) throw refuse(`it carries ${extra.join(', ')}, which a job does not (its flags come from the sweep's plan)`);
  if (!isObject(grid) || !Object.values(grid).every((value) => typeof value === 'string')) throw refuse('its grid is not NAME: value');
  const planned = plan.trials.find((candidate) => candidate.id === trial);
  if (planned === undefined) throw refuse(`trial ${trial} is not one of the sweep's ${plan.trials.length} trials`);
  const names = Object.keys(grid).sort();
  const expected = Object.keys(planned.grid).sort();
  if (names.join('\n') !== expected.join('\n') || names.some((name) => grid[name] !== planned.grid[name])) {
    throw refuse(`its grid values are not those of trial ${trial} (flags outside the sweep's grid are never run)`);
  }
  const job: TrialJob = { sweep, trial, grid: grid as Record<string, string> };
  if (secret !== undefined && !signatureMatches(secret, jobParts(job), signature)) {
    throw refuse(`it is ${signature === undefined ? 'not signed' : 'signed with another secret'}, and this worker has a --queue-secret`);
  }
  return planned;
}
